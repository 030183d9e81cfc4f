/**
 * Why a request cannot be served, in the domain's words. The HTTP layer (functions/http/errors.ts) maps
 * each kind to a status; the domain knows nothing of HTTP.
 */
export type DomainErrorKind = 'invalid' | 'unknown_store' | 'unauthenticated' | 'forbidden' | 'not_found';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    /** Stores the error is about (unknown or not visible), for the caller to show. */
    readonly stores?: readonly string[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
