/**
 * A bad `event_handlers` entry. Carries the API id (absent for the gateway config) and the full
 * key path so the loader can prefix its file name and reject just that API.
 */
export class EventConfigError extends Error {
  constructor(
    readonly apiId: string | undefined,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${apiId === undefined ? 'gateway config' : `API ${apiId}`}: ${key}: ${problem}`);
    this.name = 'EventConfigError';
  }
}

/** Where in a config a value sits; `error` builds an EventConfigError pointing at it. */
export class ConfigPath {
  constructor(
    readonly apiId: string | undefined,
    readonly path: string,
  ) {}

  child(key: string | number): ConfigPath {
    return new ConfigPath(this.apiId, typeof key === 'number' ? `${this.path}[${key}]` : `${this.path}.${key}`);
  }

  error(problem: string): EventConfigError {
    return new EventConfigError(this.apiId, this.path, problem);
  }
}
