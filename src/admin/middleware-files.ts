import { createHash } from 'node:crypto';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import express, { type Request, type Response, Router } from 'express';
import { ConfigError } from '../config/config-error';
import { readDefinitionFile } from '../config/load-apps';
import { ANY_MIDDLEWARE_FILE, apiMiddlewareDir } from '../config/middleware-sources';
import type { Gateway } from '../gateway/gateway';
import { writeFileAtomic } from '../storage/atomic-file';

/** One plain file name: no separators, no `..`, no dot files; a JS script or module, or a Python file. */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

function status(res: Response, code: number, message: string): void {
  res.status(code).json({ status: code < 400 ? 'ok' : 'error', message });
}

function validName(name: string): boolean {
  return FILE_NAME.test(name) && !name.includes('..') && ANY_MIDDLEWARE_FILE.test(name);
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * Middleware upload (our extension): `PUT /tyk/apis/{api_id}/middleware/{file}` with the JS or Python source
 * as the body. The API is rebuilt with the change in memory, in the isolate that will serve it
 * (syntax errors answer 400 with file, line and column; a hook name that is not a function
 * answers 400 naming it); only then is the file written (atomically) and that isolate swapped in.
 */
export function createMiddlewareRouter(gateway: Gateway): Router {
  const router = Router({ mergeParams: true });
  const raw = express.raw({ type: () => true, limit: gateway.config.isolate_options.max_upload_bytes });

  async function knownApi(req: Request, res: Response): Promise<string | undefined> {
    const apiId = req.params.apiId as string;
    if (gateway.getApi(apiId)) return apiId;
    try {
      await readDefinitionFile(join(gateway.config.app_path, `${apiId}.json`));
      return apiId;
    } catch {
      status(res, 404, 'API not found');
      return undefined;
    }
  }

  function fileParam(req: Request, res: Response): string | undefined {
    const name = req.params.file as string;
    if (validName(name)) return name;
    status(res, 400, `invalid middleware file name "${name}": use letters, digits, ".", "_" or "-", ending in .js, .mjs or .py`);
    return undefined;
  }

  async function change(res: Response, apiId: string, path: string, code: string | null, commit: () => Promise<void>, action: string): Promise<void> {
    try {
      const runtime = await gateway.changeMiddleware(apiId, new Map([[path, code]]), commit);
      res.json({ status: 'ok', action, api_id: apiId, file: path.split('/').pop(), generation: runtime.generation });
    } catch (err) {
      const message = (err as Error).message;
      if (err instanceof ConfigError || (err as Error).name === 'MiddlewareSourceError') return status(res, 400, message);
      status(res, 500, message);
    }
  }

  router.get('/', async (req, res) => {
    const apiId = await knownApi(req, res);
    if (!apiId) return;
    const dir = apiMiddlewareDir(gateway.config, apiId);
    let names: string[] = [];
    try {
      names = (await readdir(dir)).filter(validName).sort();
    } catch {
      // no uploads yet
    }
    const files = await Promise.all(names.map(async (name) => {
      const data = await readFile(join(dir, name));
      return { name, size: (await stat(join(dir, name))).size, sha256: sha256(data) };
    }));
    res.json({ api_id: apiId, files });
  });

  router.get('/:file', async (req, res) => {
    const apiId = await knownApi(req, res);
    const name = apiId && fileParam(req, res);
    if (!apiId || !name) return;
    try {
      const data = await readFile(join(apiMiddlewareDir(gateway.config, apiId), name));
      res.type(name.endsWith('.py') ? 'text/x-python' : 'application/javascript').set('X-Content-Sha256', sha256(data)).send(data);
    } catch {
      status(res, 404, 'Middleware file not found');
    }
  });

  router.put('/:file', raw, async (req, res) => {
    const apiId = await knownApi(req, res);
    const name = apiId && fileParam(req, res);
    if (!apiId || !name) return;
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const code = body.toString('utf8');
    if (code.trim() === '') return status(res, 400, `${name}: the upload is empty`);
    const path = join(apiMiddlewareDir(gateway.config, apiId), name);
    await change(res, apiId, path, code, () => writeFileAtomic(path, body), 'uploaded');
  });

  router.delete('/:file', async (req, res) => {
    const apiId = await knownApi(req, res);
    const name = apiId && fileParam(req, res);
    if (!apiId || !name) return;
    const path = join(apiMiddlewareDir(gateway.config, apiId), name);
    try {
      await stat(path);
    } catch {
      return status(res, 404, 'Middleware file not found');
    }
    await change(res, apiId, path, null, () => unlink(path), 'deleted');
  });

  return router;
}
