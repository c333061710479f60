/**
 * An identity could not be taken from a request. Its message is detail for the debug log only:
 * Tyk tells the client nothing beyond the fixed 400 message, and neither do we (the detail may
 * hint at what the credential looks like).
 */
export class ExtractError extends Error {
  readonly status = 400;
  readonly publicMessage = 'Authorization field missing';

  constructor(detail: string) {
    super(detail);
    this.name = 'ExtractError';
  }
}
