import { Type, type Static } from '@sinclair/typebox';
import { describeIssues, type SchemaIssue } from '../domain/schema.ts';

/**
 * The one registry of API error codes. A client sees the message of a 4xx error;
 * a 5xx error shows only its code and the request id (details go to the log).
 */
export const API_ERRORS = {
  E_VALIDATION: { status: 400, message: 'the request is invalid' },
  E_RANGE: { status: 400, message: 'the requested range is invalid' },
  E_TOO_MANY_POINTS: { status: 400, message: 'the query would return too many points' },
  E_BAD_REQUEST: { status: 400, message: 'the request is malformed' },
  E_UNAUTHENTICATED: { status: 401, message: 'a valid bearer token is required' },
  E_FORBIDDEN: { status: 403, message: 'this token may not do this' },
  E_NOT_FOUND: { status: 404, message: 'not found' },
  E_SITE_MISMATCH: { status: 409, message: 'the batch is for another site' },
  E_UNPROCESSABLE: { status: 422, message: 'the request cannot be carried out as given' },
  E_TOO_MANY_REQUESTS: { status: 429, message: 'too many requests; retry later' },
  E_PAYLOAD_TOO_LARGE: { status: 413, message: 'the request body is too large' },
  E_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported content type' },
  E_INTERNAL: { status: 500, message: 'internal error' },
  E_UNAVAILABLE: { status: 503, message: 'temporarily unavailable' },
} as const;

/** Most schema problems one error answer lists. */
export const MAX_REPORTED_ISSUES = 40;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly statusCode: number;
  readonly issues: SchemaIssue[] | undefined;
  constructor(code: ApiErrorCode, message?: string, opts: { issues?: SchemaIssue[]; cause?: unknown } = {}) {
    super(message ?? API_ERRORS[code].message, { cause: opts.cause });
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = API_ERRORS[code].status;
    this.issues = opts.issues;
  }
}

export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String(),
        message: Type.String(),
        requestId: Type.String(),
        issues: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** Response schemas for error statuses, merged into every route's `response`. */
export const errorResponses = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message: string;
  validation?: unknown;
  validationContext?: string;
}

/** Maps anything thrown in a request to the code, status and what the client may see. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = (err ?? {}) as FastifyLikeError;
  if (Array.isArray(e.validation)) {
    const where = e.validationContext ?? 'request';
    // A large body can hold thousands of problems; the client gets the first few dozen.
    const all = e.validation as Parameters<typeof describeIssues>[0] & unknown[];
    const issues = describeIssues(all.slice(0, MAX_REPORTED_ISSUES)).map((i) => ({ path: `${where}${i.path}`, message: i.message }));
    const more = all.length > MAX_REPORTED_ISSUES ? ` (the first ${MAX_REPORTED_ISSUES} of ${all.length} problems)` : '';
    return new ApiError('E_VALIDATION', `${where} is invalid${more}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, {
      issues,
      cause: err,
    });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('E_PAYLOAD_TOO_LARGE', undefined, { cause: err });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('E_UNSUPPORTED_MEDIA_TYPE', undefined, { cause: err });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('E_BAD_REQUEST', e.message, { cause: err });
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 404) return new ApiError('E_NOT_FOUND', e.message, { cause: err });
  if (status === 413) return new ApiError('E_PAYLOAD_TOO_LARGE', undefined, { cause: err });
  if (status === 415) return new ApiError('E_UNSUPPORTED_MEDIA_TYPE', undefined, { cause: err });
  if (status === 429) return new ApiError('E_TOO_MANY_REQUESTS', e.message, { cause: err });
  if (status >= 400 && status < 500) return new ApiError('E_BAD_REQUEST', e.message, { cause: err });
  return new ApiError(status === 503 ? 'E_UNAVAILABLE' : 'E_INTERNAL', undefined, { cause: err });
}

export function errorBody(err: ApiError, requestId: string): ErrorBody {
  const visible = err.statusCode < 500;
  return {
    error: {
      code: err.code,
      message: visible ? err.message : API_ERRORS[err.code].message,
      requestId,
      ...(visible && err.issues ? { issues: err.issues } : {}),
    },
  };
}
