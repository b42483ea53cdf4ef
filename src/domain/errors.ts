/**
 * Errors the domain raises on purpose. Each has a stable machine-readable code
 * and a kind; the HTTP layer and the CLI each map kinds to statuses or exit
 * codes in one place.
 */
export type DomainErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (code: string, message: string) => new DomainError('invalid', code, message);
export const notFound = (code: string, message: string) =>
  new DomainError('not_found', code, message);
export const forbidden = (code: string, message: string) =>
  new DomainError('forbidden', code, message);
export const conflict = (code: string, message: string) =>
  new DomainError('conflict', code, message);
export const unavailable = (code: string, message: string) =>
  new DomainError('unavailable', code, message);

export class RateLimitedError extends DomainError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('rate_limited', code, message);
    this.name = 'RateLimitedError';
  }
}

export const unprocessable = (code: string, message: string) =>
  new DomainError('unprocessable', code, message);
export const unauthenticated = (code: string, message: string) =>
  new DomainError('unauthenticated', code, message);
