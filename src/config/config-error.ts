/** A configuration problem, always naming where it is (file and/or API) and which key. */
export class ConfigError extends Error {
  /** The API it concerns, when known (so `/tyk/apis/{id}/runtime` can say why it is not serving). */
  readonly apiId?: string;

  constructor(message: string, options: { apiId?: string } = {}) {
    super(message);
    this.name = 'ConfigError';
    if (options.apiId !== undefined) this.apiId = options.apiId;
  }
}
