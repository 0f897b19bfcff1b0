// The one error registry: stable codes, their HTTP status and a message a user can read.
// Routes and socket handlers map any thrown CtiError with toHttp(); the log gets the detail.

export const ERRORS = {
  CTI_ERR_BAD_REQUEST: { status: 400, message: 'The request is not valid' },
  /** details: { field, fault: control | bidi | surrogate } (src/lib/text.ts); the message names the field. */
  CTI_ERR_BAD_TEXT: { status: 400, message: 'The text has characters that are not allowed: control characters, bidirectional overrides or broken Unicode' },
  CTI_ERR_UNAUTHORIZED: { status: 401, message: 'Log in, or send a valid API token' },
  CTI_ERR_LOGIN_FAILED: { status: 401, message: 'Wrong user name or password' },
  CTI_ERR_FORBIDDEN: { status: 403, message: 'You may not see this' },
  CTI_ERR_CSRF: { status: 403, message: 'A change made with the session cookie needs the header X-CTI-CSRF: 1' },
  CTI_ERR_TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many failed logins; try again in 15 minutes' },
  CTI_ERR_DESTINATION_DENIED: { status: 403, message: 'Calls to this number are not allowed' },
  CTI_ERR_DIAL_RATE_LIMITED: { status: 429, message: 'Too many calls started in the last minute; try again shortly' },
  CTI_ERR_DIAL_CONCURRENCY_LIMITED: { status: 429, message: 'Too many of your calls are in progress at once' },
  CTI_ERR_NO_EXTENSION: { status: 409, message: 'You have no phone extension to call from' },
  CTI_ERR_TASK_NOT_FOUND: { status: 404, message: 'No such task' },
  CTI_ERR_NOT_FOUND: { status: 404, message: 'No such page' },
  CTI_ERR_CALL_NOT_FOUND: { status: 404, message: 'No such call' },
  CTI_ERR_RECORDING_NOT_FOUND: { status: 404, message: 'This call has no recording' },
  /** The PBX's recordings server (CTI_PBX_RECORDINGS_URL) did not answer, or refused us (docs/remote-pbx.md). */
  CTI_ERR_RECORDING_UNAVAILABLE: { status: 502, message: 'The recording cannot be fetched from the PBX right now; try again later' },
  CTI_ERR_RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested range is outside the recording' },
  CTI_ERR_USER_EXISTS: { status: 409, message: 'A user with this name exists already' },
  CTI_ERR_USER_NOT_FOUND: { status: 404, message: 'No such user' },
  CTI_ERR_TOKEN_NOT_FOUND: { status: 404, message: 'No such API token' },
  CTI_ERR_EXTENSION_TAKEN: { status: 409, message: 'This extension belongs to another user: one extension, one person' },
  CTI_ERR_MOBILE_TAKEN: { status: 409, message: 'This mobile number belongs to another user: one mobile, one person' },
  CTI_ERR_CLIENT_NOT_FOUND: { status: 404, message: 'No such client' },
  CTI_ERR_CONTACT_NOT_FOUND: { status: 404, message: 'No contact with this number or id' },
  CTI_ERR_EXTERNAL_ID_TAKEN: { status: 409, message: 'Another record has this external id' },
  CTI_ERR_IMPORT_NOT_FOUND: { status: 404, message: 'No such import' },
  CTI_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  CTI_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'This content type is not accepted here' },
  CTI_ERR_NOT_BROWSER_PHONE: { status: 409, message: 'Your calls ring a desk phone: the browser phone is off for you' },
  CTI_ERR_SOFTPHONE_DISABLED: { status: 503, message: 'The browser phone is not set up on this server (CTI_SIP_SECRET)' },
  CTI_ERR_PBX_LOGIN_FAILED: { status: 503, message: 'The PBX refused our login' },
  CTI_ERR_PBX_UNAVAILABLE: { status: 503, message: 'The PBX is not connected' },
  CTI_ERR_PBX_TIMEOUT: { status: 504, message: 'The PBX did not answer in time' },
  /** Several instances (CTI_CLUSTER): none leads at this moment (a takeover under way, src/cluster). */
  CTI_ERR_NO_LEADER: { status: 503, message: 'The service is switching to another instance; try again in a few seconds' },
  /** A queue's service level: whole seconds, 1 to 3600 (src/reports/queues.ts). */
  CTI_ERR_BAD_SERVICE_LEVEL: { status: 400, message: 'The service level is a whole number of seconds from 1 to 3600' },
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

/** Fastify's own client errors (bad JSON, body too large, unknown content type) keep their 4xx. */
const FRAMEWORK_4XX: Record<number, ErrorCode> = { 413: 'CTI_ERR_PAYLOAD_TOO_LARGE', 415: 'CTI_ERR_UNSUPPORTED_MEDIA_TYPE' };

export function toHttp(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof CtiError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } } };
  }
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  const fwCode = (err as { code?: unknown } | null)?.code;
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof fwCode === 'string' && fwCode.startsWith('FST_')) {
    const code = FRAMEWORK_4XX[status] ?? 'CTI_ERR_BAD_REQUEST';
    return { status: ERRORS[code].status, body: { error: { code, message: `body: ${(err as Error).message}` } } };
  }
  return { status: 500, body: { error: { code: 'CTI_ERR_INTERNAL', message: ERRORS.CTI_ERR_INTERNAL.message } } };
}
