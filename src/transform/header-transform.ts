import type { IncomingHttpHeaders } from 'node:http';
import type { ApiSpec } from '../config/api-spec';
import { ConfigError } from '../config/config-error';
import { compilePathPattern, pathAfterListenPath } from '../config/path-pattern';
import type { HeaderInjection } from '../config/transform-schema';
import { logger } from '../log/logger';
import { isFramingHeader } from '../pipeline/headers';
import type { RequestState, Step } from '../pipeline/request-state';
import { checkPluginReply, PluginOutputError } from '../pipeline/respond';
import { HEADER_NAME_TOKEN } from '../protocol/header-names';
import { servedVersion } from './served-version';
import { compileTemplate, render, type Template } from './tyk-vars';

/**
 * Header injection from the API definition, as Tyk's TransformHeaders (request) and
 * HeaderInjector (response): `global_headers_remove` then `global_headers`, then the first
 * `transform_headers` entry whose path and method match (`delete_headers` then `add_headers`);
 * for responses the matching `transform_response_headers` entry first, then the global ones.
 * Values substitute `$tyk_meta.*` and `$tyk_context.*` (tyk-vars.ts).
 *
 * CR, LF, NUL and other control characters never reach the wire: in a value written in the
 * definition they refuse the API at load, naming the file and key; in a value that a variable
 * filled in (session metadata, a form field) the header is left out and a warning logged (Tyk's
 * Go HTTP stack refuses such a value on the upstream request and blanks CR/LF on responses).
 */

interface HeaderSet {
  /** Lower-case names, as Node keeps headers. */
  readonly remove: readonly string[];
  readonly add: readonly { name: string; value: Template }[];
}

interface PathHeaderSet extends HeaderSet {
  readonly pattern: RegExp;
  readonly method?: string;
}

export interface CompiledHeaderTransforms {
  readonly request?: Step;
  /** Edits an upstream answer's headers before response hooks see them (or before they stream). */
  readonly response?: (state: RequestState, headers: IncomingHttpHeaders) => void;
}

function checkName(name: string, where: string): string {
  if (!HEADER_NAME_TOKEN.test(name)) throw new ConfigError(`${where}: ${JSON.stringify(name)} is not a valid header name`);
  if (isFramingHeader(name)) throw new ConfigError(`${where}: ${JSON.stringify(name)} frames the message; the gateway sets it itself`);
  return name.toLowerCase();
}

/** The one check of what may stand in a header (pipeline/respond.ts), as a boolean. */
function valueProblem(name: string, value: string): string | undefined {
  try {
    checkPluginReply(200, { [name]: value });
    return undefined;
  } catch (err) {
    if (err instanceof PluginOutputError) return err.message.replace(/^headers\[[^\]]*\]: /, '');
    throw err;
  }
}

function compileSet(remove: readonly string[] | null | undefined, add: Record<string, string> | null | undefined, where: string): HeaderSet {
  return {
    remove: (remove ?? []).map((n, i) => checkName(n, `${where} remove[${i}]`)),
    add: Object.entries(add ?? {}).map(([name, text]) => {
      const lower = checkName(name, `${where} ${JSON.stringify(name)}`);
      const value = compileTemplate(text);
      // What the definition itself writes must be sendable; variables are checked per request.
      const written = value.pieces.filter((p) => typeof p === 'string').join('');
      const problem = valueProblem(lower, written);
      if (problem) throw new ConfigError(`${where}.${name}: ${problem}`);
      return { name: lower, value };
    }),
  };
}

function compilePaths(entries: readonly HeaderInjection[] | null | undefined, where: string): PathHeaderSet[] {
  return (entries ?? []).filter((e) => !e.disabled).map((e, i) => ({
    ...compileSet(e.delete_headers, e.add_headers, `${where}[${i}]`),
    pattern: compilePathPattern(e.path),
    method: e.method ? e.method.toUpperCase() : undefined,
  }));
}

function matching(paths: readonly PathHeaderSet[], spec: ApiSpec, path: string, method: string): PathHeaderSet | undefined {
  if (paths.length === 0) return undefined;
  const relative = pathAfterListenPath(spec.listenPath, path);
  return paths.find((p) => (!p.method || p.method === method) && p.pattern.test(relative));
}

function apply(set: HeaderSet, headers: IncomingHttpHeaders, state: RequestState, side: string): void {
  for (const name of set.remove) delete headers[name];
  for (const { name, value } of set.add) {
    const text = render(value, state);
    if (value.literal === undefined) {
      const problem = valueProblem(name, text);
      if (problem) {
        logger.warn({ api_id: state.spec.apiId, header: name, side }, `header ${name} left out: its value, after variable substitution, ${problem.replace(/^the value /, '')}`);
        continue;
      }
    }
    headers[name] = text;
  }
}

const isEmpty = (set: HeaderSet) => set.remove.length === 0 && set.add.length === 0;

export function compileHeaderTransforms(spec: ApiSpec): CompiledHeaderTransforms {
  const served = servedVersion(spec.definition);
  if (!served) return {};
  const { name, version } = served;
  const where = `${spec.file} (api ${spec.apiId}): version_data.versions.${name}`;
  const globalReq = version.global_headers_disabled ? { remove: [], add: [] } : compileSet(version.global_headers_remove, version.global_headers, `${where}.global_headers`);
  const globalRes = version.global_response_headers_disabled ? { remove: [], add: [] } : compileSet(version.global_response_headers_remove, version.global_response_headers, `${where}.global_response_headers`);
  const pathReq = compilePaths(version.extended_paths?.transform_headers, `${where}.extended_paths.transform_headers`);
  const pathRes = compilePaths(version.extended_paths?.transform_response_headers, `${where}.extended_paths.transform_response_headers`);
  const out: { request?: Step; response?: CompiledHeaderTransforms['response'] } = {};
  if (!isEmpty(globalReq) || pathReq.length > 0) {
    out.request = {
      name: 'transform_headers',
      run(state) {
        apply(globalReq, state.headers, state, 'request');
        const at = state.endpoint ?? state;
        const entry = matching(pathReq, state.spec, at.path, at.method);
        if (entry) apply(entry, state.headers, state, 'request');
      },
    };
  }
  if (!isEmpty(globalRes) || pathRes.length > 0) {
    out.response = (state, headers) => {
      // Tyk matches response entries on the request as it went upstream (rewritten, transformed).
      const entry = matching(pathRes, state.spec, state.path, state.method);
      if (entry) apply(entry, headers, state, 'response');
      apply(globalRes, headers, state, 'response');
    };
  }
  return out;
}
