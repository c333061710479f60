import { createHash } from 'node:crypto';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import express, { type Request, type Response, Router } from 'express';
import { ConfigError } from '../config/config-error';
import { readDefinitionFile } from '../config/load-apps';
import { confinedApiDir, confinedToMiddlewarePath } from '../config/middleware-sources';
import { apiIdProblem, MIDDLEWARE_FILE, middlewareFileProblem } from '../config/safe-names';
import type { Gateway } from '../gateway/gateway';
import { writeFileAtomic } from '../storage/atomic-file';
import { isBadMiddleware, sendStatusMessage } from './respond';

/**
 * The `:apiId` of a per-API upload route (middleware files, bundles), or undefined after answering
 * 400 (not an api id: it names files) or 404 (neither loaded nor defined in app_path).
 */
export async function knownApiParam(gateway: Gateway, req: Request, res: Response): Promise<string | undefined> {
  const apiId = req.params.apiId as string;
  const problem = apiIdProblem(apiId);
  if (problem) {
    sendStatusMessage(res, 400, `api_id: ${problem}`);
    return undefined;
  }
  if (gateway.getApi(apiId)) return apiId;
  try {
    await readDefinitionFile(join(gateway.config.app_path, `${apiId}.json`));
    return apiId;
  } catch {
    sendStatusMessage(res, 404, 'API not found');
    return undefined;
  }
}

const validName = (name: string): boolean => middlewareFileProblem(name) === undefined;

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * Middleware upload (our extension): `PUT /tyk/apis/{api_id}/middleware/{file}` with the source
 * (JS, Python for driver `python`, Lua for driver `lua`) as the body. The API is rebuilt with the
 * change in memory, in the isolate that will serve it
 * (syntax errors answer 400 with file, line and column; a hook name that is not a function
 * answers 400 naming it); only then is the file written (atomically) and that isolate swapped in.
 */
export function createMiddlewareRouter(gateway: Gateway): Router {
  const router = Router({ mergeParams: true });
  const raw = express.raw({ type: () => true, limit: gateway.config.isolate_options.max_upload_bytes });

  const knownApi = (req: Request, res: Response) => knownApiParam(gateway, req, res);

  function fileParam(req: Request, res: Response): string | undefined {
    const name = req.params.file as string;
    const problem = middlewareFileProblem(name);
    if (!problem) return name;
    sendStatusMessage(res, 400, `invalid middleware file name ${JSON.stringify(name)}: ${problem}`);
    return undefined;
  }

  /** The API's upload folder, or undefined after answering 400 when it is a symlink out of middleware_path. */
  async function uploadDir(res: Response, apiId: string): Promise<string | undefined> {
    try {
      return await confinedApiDir(gateway.config, apiId, `api ${apiId}`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      sendStatusMessage(res, 400, err.message);
      return undefined;
    }
  }

  async function change(res: Response, apiId: string, path: string, code: string | null, commit: () => Promise<void>, action: string): Promise<void> {
    try {
      const runtime = await gateway.changeMiddleware(apiId, new Map([[path, code]]), commit);
      res.json({ status: 'ok', action, api_id: apiId, file: path.split('/').pop(), generation: runtime.generation });
    } catch (err) {
      const message = (err as Error).message;
      if (isBadMiddleware(err)) return sendStatusMessage(res, 400, message);
      sendStatusMessage(res, 500, message);
    }
  }

  /** The API's custom_middleware.driver ('' when it names none yet). */
  async function driverOf(apiId: string): Promise<string> {
    const def = gateway.getApi(apiId)?.spec.definition ?? (await readDefinitionFile(join(gateway.config.app_path, `${apiId}.json`)));
    return def.custom_middleware?.driver ?? '';
  }

  /** The API id, file name and upload folder a `/:file` request names, or undefined once answered. */
  async function target(req: Request, res: Response): Promise<{ apiId: string; name: string; dir: string } | undefined> {
    const apiId = await knownApi(req, res);
    if (!apiId) return undefined;
    const name = fileParam(req, res);
    if (!name) return undefined;
    const dir = await uploadDir(res, apiId);
    return dir ? { apiId, name, dir } : undefined;
  }

  router.get('/', async (req, res) => {
    const apiId = await knownApi(req, res);
    if (!apiId) return;
    const dir = await uploadDir(res, apiId);
    if (!dir) return;
    let names: string[] = [];
    try {
      names = (await readdir(dir)).filter(validName).sort();
    } catch {
      // no uploads yet
    }
    const files = await Promise.all(names.map(async (name) => {
      let real: string;
      try {
        real = await confinedToMiddlewarePath(gateway.config, join(dir, name), name);
      } catch {
        return undefined; // a symlink out of middleware_path: not one of this API's files
      }
      const data = await readFile(real);
      return { name, size: (await stat(real)).size, sha256: sha256(data) };
    }));
    res.json({ api_id: apiId, files: files.filter((f) => f !== undefined) });
  });

  router.get('/:file', async (req, res) => {
    const t = await target(req, res);
    if (!t) return;
    try {
      // A symlink in the folder is followed only as far as middleware_path (else: not found).
      const data = await readFile(await confinedToMiddlewarePath(gateway.config, join(t.dir, t.name), t.name));
      const type = t.name.endsWith('.py') ? 'text/x-python' : t.name.endsWith('.lua') ? 'text/x-lua' : 'application/javascript';
      res.type(type).set('X-Content-Sha256', sha256(data)).send(data);
    } catch {
      sendStatusMessage(res, 404, 'Middleware file not found');
    }
  });

  router.put('/:file', raw, async (req, res) => {
    const t = await target(req, res);
    if (!t) return;
    // A file the API's driver would not load is refused rather than stored unused.
    const driver = await driverOf(t.apiId);
    if (!((driver && gateway.drivers.sourceFiles(driver)) || MIDDLEWARE_FILE).test(t.name)) {
      return sendStatusMessage(res, 400, `${t.name}: custom_middleware.driver "${driver || 'isolate'}" does not load this kind of file`);
    }
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const code = body.toString('utf8');
    if (code.trim() === '') return sendStatusMessage(res, 400, `${t.name}: the upload is empty`);
    const path = join(t.dir, t.name);
    await change(res, t.apiId, path, code, () => writeFileAtomic(path, body), 'uploaded');
  });

  router.delete('/:file', async (req, res) => {
    const t = await target(req, res);
    if (!t) return;
    const path = join(t.dir, t.name);
    try {
      await stat(path);
    } catch {
      return sendStatusMessage(res, 404, 'Middleware file not found');
    }
    await change(res, t.apiId, path, null, () => unlink(path), 'deleted');
  });

  return router;
}
