import { DomainError, type DomainErrorKind } from '../../core/domain/errors.js';

/** The one error shape of the HTTP API: `{ error: { code, message, details? } }`. */
export interface ApiIssue {
  path: string;
  message: string;
}

export interface ApiErrorDetails {
  issues?: ApiIssue[];
  retryAfterSeconds?: number;
  stores?: string[];
  traceId?: string;
  [key: string]: unknown;
}

export type ApiErrorCode = 'bad_request' | 'unknown_store' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'not_acceptable' | 'rate_limited' | 'internal' | 'unavailable';

/** A failure the caller should see as is (status, code, message); anything else becomes a 500 without details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: ApiErrorDetails,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, issues?: ApiIssue[]): ApiError => new ApiError(400, 'bad_request', message, issues ? { issues } : undefined);
export const unauthenticated = (message = 'Sign in first: the request has no valid x-ms-client-principal.'): ApiError => new ApiError(401, 'unauthenticated', message);
export const forbidden = (message: string, stores?: string[]): ApiError => new ApiError(403, 'forbidden', message, stores ? { stores } : undefined);
export const notFound = (message: string): ApiError => new ApiError(404, 'not_found', message);

export function errorBody(code: ApiErrorCode, message: string, details?: ApiErrorDetails): { error: { code: string; message: string; details?: ApiErrorDetails } } {
  const text = message.length === 0 ? code : message.slice(0, 2000);
  return { error: details === undefined ? { code, message: text } : { code, message: text, details } };
}

const STATUS_OF: Readonly<Record<DomainErrorKind, { status: number; code: ApiErrorCode }>> = {
  invalid: { status: 400, code: 'bad_request' },
  unknown_store: { status: 400, code: 'unknown_store' },
  unauthenticated: { status: 401, code: 'unauthenticated' },
  forbidden: { status: 403, code: 'forbidden' },
  not_found: { status: 404, code: 'not_found' },
};

/** The caller-facing form of a domain refusal; undefined for anything else (a 500 without details). */
export function apiErrorOf(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (!(error instanceof DomainError)) return undefined;
  const { status, code } = STATUS_OF[error.kind];
  return new ApiError(status, code, error.message, error.stores ? { stores: [...error.stores] } : undefined);
}
