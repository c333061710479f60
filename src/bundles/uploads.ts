import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { UploadOverride } from '../config/bundle-resolver';
import { apiIdProblem } from '../config/safe-names';
import { writeFileAtomic } from '../storage/atomic-file';
import { BundleError } from './errors';
import type { ExtractLimits } from './extract';
import { readManifest } from './manifest';
import { unpackVerified } from './unpack';
import { type Verified, type VerifyKey, verifyBundle } from './verify';

/** An upload checked and extracted, not yet the API's: the gateway builds the API from it first. */
export interface StagedBundle {
  /** What the API is built with: the new folder, or null when the upload is being removed. */
  readonly override: UploadOverride;
  readonly verified?: Verified;
  /** Make it the API's bundle (or remove the upload). */
  commit(): Promise<void>;
  /** Drop it; the API keeps its current bundle. */
  discard(): Promise<void>;
}

const VERSION = /^[0-9a-f]{16}$/;
const CURRENT = 'CURRENT';

/**
 * Bundles uploaded through `PUT /tyk/apis/{id}/bundle`, at `uploads/{api_id}/{sha256(zip)[:16]}/`
 * with `CURRENT` naming the one in use. A version's folder never changes once extracted, so the
 * API can be built from it before it becomes current, and the switch is one atomic file write.
 */
export class UploadStore {
  constructor(
    private readonly root: string,
    private readonly limits: ExtractLimits,
    private readonly key: VerifyKey | undefined,
  ) {}

  private apiDir(apiId: string): string {
    const problem = apiIdProblem(apiId);
    if (problem) throw new BundleError(`api_id ${JSON.stringify(apiId)}: ${problem}`);
    return join(this.root, apiId);
  }

  /** The folder of the API's current upload, or undefined when it has none. */
  async current(apiId: string): Promise<string | undefined> {
    if (apiIdProblem(apiId)) return undefined;
    const dir = join(this.root, apiId);
    let version: string;
    try {
      version = (await readFile(join(dir, CURRENT), 'utf8')).trim();
    } catch {
      return undefined;
    }
    if (!VERSION.test(version)) throw new BundleError(`${join(dir, CURRENT)} is damaged (delete the folder to drop the upload)`);
    return join(dir, version);
  }

  /** Extract and verify `zip` as a fresh bundle (checksum always, signature with a key). */
  async stage(apiId: string, zip: Uint8Array): Promise<StagedBundle> {
    const apiDir = this.apiDir(apiId);
    const version = createHash('sha256').update(zip).digest('hex').slice(0, 16);
    const dir = join(apiDir, version);
    const wasCurrent = (await this.current(apiId)) === dir;
    let verified: Verified;
    if (await stat(dir).then(() => true, () => false)) {
      // The same zip again: its folder is already there, complete.
      verified = await verifyBundle(dir, await readManifest(dir), { mode: 'fresh', key: this.key });
    } else {
      const tmp = join(apiDir, `.tmp-${randomBytes(8).toString('hex')}`);
      try {
        ({ verified } = await unpackVerified(zip, tmp, this.limits, this.key));
        await rename(tmp, dir);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
    return {
      override: { dir },
      verified,
      commit: async () => {
        await writeFileAtomic(join(apiDir, CURRENT), `${version}\n`);
        // Earlier versions: the runtimes built from them hold their code in memory.
        for (const name of await readdir(apiDir)) if (name !== version && name !== CURRENT) await rm(join(apiDir, name), { recursive: true, force: true });
      },
      discard: async () => {
        if (!wasCurrent) await rm(dir, { recursive: true, force: true });
      },
    };
  }

  /** Prepare removing the API's upload; throws when it has none. */
  async stageRemoval(apiId: string): Promise<StagedBundle> {
    const apiDir = this.apiDir(apiId);
    if (!(await this.current(apiId))) throw new BundleError('no bundle has been uploaded for this API', { notFound: true });
    return {
      override: null,
      commit: () => rm(apiDir, { recursive: true, force: true }),
      discard: async () => undefined,
    };
  }
}
