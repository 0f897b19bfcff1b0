// REST API v1 for the call log. Schemas double as validation (400 naming the parameter) and OpenAPI.
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/client.js';
import { actorOf } from '../http/auth.js';
import { relayAudio, relayedRange, sendAudio } from '../http/recording-response.js';
import { CSV_CONTENT_TYPE } from '../lib/csv.js';
import { CtiError } from '../lib/errors.js';
import type { Outcome } from '../tasks/outcomes.js';
import { getUserView } from '../users/users.js';
import { callsCsv } from './csv.js';
import type { ClickToCall } from './click-to-call.js';
import type { RemoteRecordings } from '../pbx/remote-recordings.js';
import { getCall, getRecording, listCalls, type CallFilters, type QueryContext } from './queries.js';

const nullableString = { type: ['string', 'null'] } as const;
const legSchema = {
  type: 'object',
  properties: {
    extension: nullableString, managerId: nullableString, channel: { type: 'string' },
    startedAt: { type: 'string', format: 'date-time' }, answeredAt: nullableString, endedAt: nullableString,
    ringSeconds: { type: 'integer' }, talkSeconds: { type: 'integer' }, disposition: nullableString, hangupCause: nullableString,
  },
} as const;
export const callSchema = {
  $id: 'Call',
  type: 'object',
  properties: {
    id: { type: 'string' }, pbx: { type: 'string', description: 'the PBX it happened on (GET /api/v1/pbxes)' }, linkedId: { type: 'string' }, state: { type: 'string', enum: ['live', 'ended'] },
    source: { type: 'string', enum: ['ami', 'cdr', 'ami+cdr'] },
    direction: { type: 'string', enum: ['inbound', 'outbound', 'internal'] }, origin: nullableString,
    externalNumber: nullableString, extension: nullableString, managerId: nullableString, contactId: nullableString, clientId: nullableString, routedBy: nullableString,
    startedAt: { type: 'string', format: 'date-time' }, answeredAt: nullableString, endedAt: nullableString,
    ringSeconds: { type: 'integer', description: 'Seconds from the start to the answer (or the end). A live call: so far (to now while still ringing).' },
    talkSeconds: { type: 'integer', description: 'Seconds from the answer to the end. A live answered call: so far (now - answeredAt).' },
    disposition: { type: ['string', 'null'], enum: ['answered', 'no_answer', 'busy', 'failed', null] },
    hangupCause: nullableString,
    recording: {
      anyOf: [{ type: 'null' }, { type: 'object', properties: { url: { type: 'string' }, durationSeconds: { type: 'number' } } }],
    },
    wrapup: {
      anyOf: [{ type: 'null' }, {
        type: 'object',
        properties: {
          description: { type: 'string' }, outcome: { type: 'string' }, at: { type: 'string', format: 'date-time' },
          by: { anyOf: [{ type: 'null' }, { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } }] },
        },
      }],
    },
    contact: { anyOf: [{ type: 'null' }, { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } }] },
    client: { anyOf: [{ type: 'null' }, { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } }] },
    manager: {
      description: 'the user the call is credited to (managerId), by name; null when nobody (or a user since deleted)',
      anyOf: [{ type: 'null' }, { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } }],
    },
    queue: { ...nullableString, description: 'the app_queue queue the call waited in (the first, when several)' },
    queueWaitSeconds: { type: ['number', 'null'], description: 'seconds it waited in that queue' },
    queueOutcome: { type: ['string', 'null'], enum: ['answered', 'abandoned', 'timeout', null], description: 'how it left the queue' },
    legs: { type: 'array', items: legSchema },
  },
} as const;

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true } },
    },
  },
} as const;

export function registerCallRoutes(app: FastifyInstance, deps: {
  db: Db; recordingsDir: string; pbxRecordingsDir?: string | null; remoteRecordings?: RemoteRecordings | null; pbxRecordings?: QueryContext['pbxRecordings']; region: string; clickToCall: Pick<ClickToCall, 'start'>; timeZone: string; outcomes: readonly Outcome[];
  /** CTI_PUBLIC_URL: the CSV's recording links start with it. */
  publicUrl: string;
  /** GET /api/v1/pbxes: the CSV names each call's PBX when there are several. */
  pbxes?: readonly { id: string; name: string }[];
}): void {
  const ctx = (req: Parameters<typeof actorOf>[0]) => ({ db: deps.db, actor: actorOf(req), recordingsDir: deps.recordingsDir, pbxRecordingsDir: deps.pbxRecordingsDir ?? null, remoteRecordings: deps.remoteRecordings ?? null, ...(deps.pbxRecordings ? { pbxRecordings: deps.pbxRecordings } : {}), region: deps.region });
  app.addSchema(callSchema);

  app.get<{ Querystring: CallFilters & { format?: 'json' | 'csv' } }>('/api/v1/calls', {
    schema: {
      tags: ['calls'],
      summary: 'The call log, newest first, one page at a time',
      security: [{ bearer: [] }],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          from: { type: 'string', format: 'date-time', description: 'calls started at or after (ISO 8601)' },
          to: { type: 'string', format: 'date-time', description: 'calls started before (ISO 8601)' },
          direction: { type: 'string', enum: ['inbound', 'outbound', 'internal'] },
          extension: { type: 'string', pattern: '^([0-9]{2,6}|none)$', description: "the call's manager extension; none: calls without one" },
          pbx: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,31}$', description: 'one PBX\'s calls (GET /api/v1/pbxes)' },
          managerId: { type: 'string', maxLength: 64, description: "the user the call is credited to (who had its phone then); none: nobody" },
          disposition: { type: 'string', enum: ['answered', 'no_answer', 'busy', 'failed'] },
          state: { type: 'string', enum: ['live', 'ended'], description: 'ended: what the report counts' },
          result: {
            type: 'string', enum: ['answered', 'missed'],
            description: 'as the report counts: answered (disposition answered) or missed (inbound, not answered)',
          },
          outcome: { type: 'string', maxLength: 64, description: 'wrap-up outcome id' },
          linkedId: { type: 'string', maxLength: 64, description: "Asterisk's linkedid of the call" },
          contactId: { type: 'string', maxLength: 64, description: 'calls matched to this contact' },
          clientId: { type: 'string', maxLength: 64, description: 'calls matched to this client' },
          q: {
            type: 'string', maxLength: 200,
            description: "a number in any format (\"8 (916) 123-45-67\", or 3 or more of its digits), or a part of the contact's or the client's"
              + " name in any case and script; a manager's search finds names of their own clients only",
          },
          wrapup: {
            type: 'string', enum: ['pending'],
            description: "pending: the caller's own answered calls of the last 7 days that have no wrap-up yet (left for later)",
          },
          queue: { type: 'string', pattern: '^[A-Za-z0-9_.@-]{1,80}$', description: 'calls that waited in this app_queue queue; any: in any queue' },
          queueResult: {
            type: 'string', enum: ['answered', 'abandoned', 'timeout', 'withinServiceLevel'],
            description: "as the queue report counts: how the call left its queue; withinServiceLevel: answered within the queue's service level",
          },
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          cursor: { type: 'string', maxLength: 200 },
          format: {
            type: 'string', enum: ['json', 'csv'], default: 'json',
            description: 'csv: every matching call (limit and cursor ignored), streamed, for Excel (UTF-8 BOM, ";"); recording links absolute (CTI_PUBLIC_URL)',
          },
        },
      },
      response: {
        200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'Call#' } }, nextCursor: nullableString } },
        400: errorSchema, 401: errorSchema,
      },
    },
  }, async (req, reply) => {
    const { format, ...filters } = req.query;
    if (format !== 'csv') return listCalls(ctx(req), filters);
    const c = ctx(req);
    const lang = (await getUserView(deps.db, c.actor.id)).language;
    const chunks = await callsCsv(c, filters, { lang, timeZone: deps.timeZone, outcomes: deps.outcomes, baseUrl: deps.publicUrl, pbxes: deps.pbxes ?? [] });
    return reply.type(CSV_CONTENT_TYPE).header('content-disposition', 'attachment; filename="calls.csv"').send(Readable.from(chunks));
  });

  app.get<{ Params: { id: string } }>('/api/v1/calls/:id', {
    schema: {
      tags: ['calls'], summary: 'One call with its legs', security: [{ bearer: [] }],
      params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
      response: { 200: { $ref: 'Call#' }, 401: errorSchema, 403: errorSchema, 404: errorSchema },
    },
  }, async (req) => getCall(ctx(req), req.params.id));

  app.get<{ Params: { id: string } }>('/api/v1/calls/:id/recording', {
    schema: {
      tags: ['calls'], summary: 'The call recording (audio/wav), with HTTP Range for seeking', security: [{ bearer: [] }],
      params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
      description: 'On a PBX on another host (CTI_PBX_RECORDINGS_URL) the bytes are relayed from its recordings server,'
        + ' Range included; 502 CTI_ERR_RECORDING_UNAVAILABLE when it cannot be reached.',
      response: { 401: errorSchema, 403: errorSchema, 404: errorSchema, 416: errorSchema, 502: errorSchema },
    },
  }, async (req, reply) => {
    const at = await getRecording(ctx(req), req.params.id);
    const name = `call-${req.params.id}.wav`;
    if (at.kind === 'local') return sendAudio(reply, at.file, req.headers.range, name);
    return relayAudio(reply, () => at.server.get(at.parts, relayedRange(req.headers.range)), name);
  });

  app.post<{ Body: { number: string; contactId?: string | null } }>('/api/v1/calls/click-to-call', {
    schema: {
      tags: ['calls'], summary: "Call a number from the manager's own phone (progress: c2c:progress over socket.io)", security: [{ bearer: [] }],
      body: {
        type: 'object', additionalProperties: false, required: ['number'],
        properties: { number: { type: 'string', minLength: 1, maxLength: 64 }, contactId: { type: ['string', 'null'], maxLength: 64 } },
      },
      description: 'The dial policy (README, "Which numbers may be dialled") answers first: 403 CTI_ERR_DESTINATION_DENIED with'
        + ' details.reason (prefix, premium, international_network, region); 429 CTI_ERR_DIAL_RATE_LIMITED (with Retry-After)'
        + ' or CTI_ERR_DIAL_CONCURRENCY_LIMITED (details.max).',
      response: {
        202: { type: 'object', properties: { requestId: { type: 'string' } } },
        400: errorSchema, 403: errorSchema, 409: errorSchema, 429: errorSchema, 503: errorSchema,
      },
    },
  }, async (req, reply) => {
    try {
      const r = await deps.clickToCall.start({ db: deps.db, actor: actorOf(req), region: deps.region }, req.body);
      return await reply.code(202).send(r);
    } catch (err) {
      // RFC 9110 10.2.3: when to try again; the error handler writes the body.
      const retry = err instanceof CtiError ? err.details?.['retryAfterSeconds'] : undefined;
      if (typeof retry === 'number') void reply.header('retry-after', String(retry));
      throw err;
    }
  });
}
