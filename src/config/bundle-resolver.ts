import type { ApiDefinition, CustomMiddleware } from './api-definition';
import type { MiddlewareSource } from './api-spec';
import type { SourcePolicy } from './middleware-sources';

// What loading needs from plugin bundles. src/bundles implements it; config only knows this shape,
// so the config folder never imports the bundle folder (which imports config).

/** Where an API's bundle came from, as `/tyk/apis/{id}/runtime` reports it. */
export interface BundleInfo {
  /** `custom_middleware_bundle` as written, or `(upload)` for one sent to `PUT /tyk/apis/{id}/bundle`. */
  readonly name: string;
  readonly origin: 'download' | 'upload';
  /** The folder it is extracted in (`middleware_path/bundles/...`); hook paths resolve inside it. */
  readonly dir: string;
  /** Each manifest's checksum, in bundle order. */
  readonly checksums: readonly string[];
  /** Every manifest carries a signature. */
  readonly signed: boolean;
  /** Whether this load checked checksum (and signature) — false when Tyk's rules skip it for a bundle on disk. */
  readonly verified: boolean;
}

/** An API's bundle, ready to compile: its manifest's middleware replaces the definition's. */
export interface ResolvedBundle {
  readonly customMiddleware: CustomMiddleware;
  /** Files the API's isolate loads (empty for drivers that take no sources, e.g. grpc). */
  readonly sources: MiddlewareSource[];
  readonly info: BundleInfo;
}

/**
 * A pending change to an API's uploaded bundle: the folder to use instead of the current upload,
 * or null to ignore the upload (it is being deleted).
 */
export type UploadOverride = { readonly dir: string } | null;

export interface BundleResolver {
  /**
   * The definition names a bundle that is not on disk yet and the downloader is on (and no upload
   * stands in for it; `upload` overrides the API's current upload, as for resolve).
   */
  needsDownload(def: ApiDefinition, upload?: UploadOverride): Promise<boolean>;
  /** Download, extract and verify it (one download per bundle at a time). Throws the reason. */
  download(def: ApiDefinition, where: string): Promise<void>;
  /**
   * The API's bundle from disk, verified as Tyk verifies a bundle already on disk, or undefined
   * when the API takes its middleware from its definition. Throws the reason it cannot load.
   */
  resolve(def: ApiDefinition, where: string, drivers: SourcePolicy, upload?: UploadOverride): Promise<ResolvedBundle | undefined>;
}
