/** A configuration problem, always naming where it is (file and/or API) and which key. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
