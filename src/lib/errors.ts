// The one error registry: stable codes, their HTTP status and a message a user can read.
// Routes and socket handlers map any thrown CtiError with toHttp(); the log gets the detail.

export const ERRORS = {
  CTI_ERR_BAD_REQUEST: { status: 400, message: 'The request is not valid' },
  CTI_ERR_UNAUTHORIZED: { status: 401, message: 'A valid API token is required' },
  CTI_ERR_FORBIDDEN: { status: 403, message: 'You may not see this' },
  CTI_ERR_CALL_NOT_FOUND: { status: 404, message: 'No such call' },
  CTI_ERR_RECORDING_NOT_FOUND: { status: 404, message: 'This call has no recording' },
  CTI_ERR_RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested range is outside the recording' },
  CTI_ERR_USER_EXISTS: { status: 409, message: 'A user with this name exists already' },
  CTI_ERR_USER_NOT_FOUND: { status: 404, message: 'No such user' },
  CTI_ERR_PBX_LOGIN_FAILED: { status: 503, message: 'The PBX refused our login' },
  CTI_ERR_PBX_UNAVAILABLE: { status: 503, message: 'The PBX is not connected' },
  CTI_ERR_PBX_TIMEOUT: { status: 504, message: 'The PBX did not answer in time' },
  CTI_ERR_INTERNAL: { status: 500, message: 'Something went wrong on our side' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class CtiError extends Error {
  readonly status: number;
  constructor(readonly code: ErrorCode, message?: string, readonly details?: Record<string, unknown>) {
    super(message ?? ERRORS[code].message);
    this.name = 'CtiError';
    this.status = ERRORS[code].status;
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export function toHttp(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof CtiError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } } };
  }
  return { status: 500, body: { error: { code: 'CTI_ERR_INTERNAL', message: ERRORS.CTI_ERR_INTERNAL.message } } };
}
