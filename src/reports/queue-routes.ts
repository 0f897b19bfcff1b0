// REST API v1 for queue reports and queue settings. Schemas double as validation and OpenAPI.
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/client.js';
import { actorOf } from '../http/auth.js';
import { CSV_CONTENT_TYPE } from '../lib/csv.js';
import { getUserView } from '../users/users.js';
import { queueReportCsv } from './queue-csv.js';
import { getQueueSettings, queueReport, setQueueSettings, type QueueReportInput } from './queues.js';

const errorSchema = {
  type: 'object',
  properties: {
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true } } },
  },
} as const;
const nullableNumber = { type: ['number', 'null'] } as const;
const stats = {
  offered: { type: 'integer', description: 'ended calls that waited in the queue, by their start' },
  answered: { type: 'integer', description: 'a queue member answered' },
  abandoned: { type: 'integer', description: 'the caller hung up while waiting' },
  timeout: { type: 'integer', description: 'the queue let the call go on (its timeout, or no member to ring): the dialplan sent it on' },
  answeredWithinSl: { type: 'integer', description: 'answered after waiting at most the queue\'s service level' },
  serviceLevel: { ...nullableNumber, description: 'answeredWithinSl / offered, 0..1' },
  abandonRate: { ...nullableNumber, description: 'abandoned / offered, 0..1' },
  avgWaitSeconds: { ...nullableNumber, description: 'average wait over offered calls (every outcome)' },
  longestWaitSeconds: { ...nullableNumber, description: 'longest wait over offered calls' },
} as const;
const queueName = { type: 'string', pattern: '^[A-Za-z0-9_.@-]{1,80}$' } as const;
const settingsSchema = {
  $id: 'QueueSettings',
  type: 'object',
  properties: { queue: { type: 'string' }, serviceLevelSeconds: { type: 'integer' }, custom: { type: 'boolean', description: 'false: the default applies' } },
} as const;

export const queueReportSchema = {
  $id: 'QueueReport',
  type: 'object',
  properties: {
    from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' }, timeZone: { type: 'string' },
    defaultServiceLevelSeconds: { type: 'integer' },
    rows: { type: 'array', items: { type: 'object', properties: { queue: { type: 'string' }, serviceLevelSeconds: { type: 'integer' }, ...stats } } },
    totals: { type: 'object', properties: stats },
  },
} as const;

export function registerQueueReportRoutes(app: FastifyInstance, deps: { db: Db; timeZone: string }): void {
  app.addSchema(queueReportSchema);
  app.addSchema(settingsSchema);
  app.get<{ Querystring: QueueReportInput & { format?: 'json' | 'csv' } }>('/api/v1/reports/queues', {
    schema: {
      tags: ['reports'],
      summary: 'Per queue: offered, answered, abandoned, timed out, answered within the service level, waits (supervisors and admins)',
      description: 'Ended calls that waited in an app_queue queue, in the period their start falls in. `from`/`to` as for '
        + '/api/v1/reports/calls; `to` is exclusive. Drill down with GET /api/v1/calls?queue=<name>&queueResult=...',
      security: [{ bearer: [] }],
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to'],
        properties: {
          from: { type: 'string', maxLength: 40, description: 'YYYY-MM-DD (local) or ISO 8601 date-time: calls started at or after' },
          to: { type: 'string', maxLength: 40, description: 'YYYY-MM-DD (local) or ISO 8601 date-time: calls started before' },
          tz: { type: 'string', maxLength: 64, description: 'IANA time zone; default CTI_TIMEZONE' },
          pbx: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,31}$', description: 'one PBX\'s queues (GET /api/v1/pbxes); all when absent' },
          format: { type: 'string', enum: ['json', 'csv'], default: 'json', description: 'csv: a table for Excel (UTF-8 BOM, ";")' },
        },
      },
      response: { 200: { $ref: 'QueueReport#' }, 400: errorSchema, 401: errorSchema, 403: errorSchema },
    },
  }, async (req, reply) => {
    const { format, ...input } = req.query;
    const actor = actorOf(req);
    const report = await queueReport({ db: deps.db, actor, timeZone: deps.timeZone }, input);
    if (format !== 'csv') return report;
    const lang = (await getUserView(deps.db, actor.id)).language;
    return reply.type(CSV_CONTENT_TYPE).header('content-disposition', 'attachment; filename="queues-report.csv"').send(queueReportCsv(report, lang));
  });

  app.get<{ Params: { queue: string } }>('/api/v1/queues/:queue/settings', {
    schema: {
      tags: ['reports'], summary: 'A queue\'s service level (supervisors and admins); the default when none is set', security: [{ bearer: [] }],
      params: { type: 'object', required: ['queue'], properties: { queue: queueName } },
      response: { 200: { $ref: 'QueueSettings#' }, 400: errorSchema, 401: errorSchema, 403: errorSchema },
    },
  }, async (req) => getQueueSettings({ db: deps.db, actor: actorOf(req) }, req.params.queue));

  app.put<{ Params: { queue: string }; Body: { serviceLevelSeconds: number } }>('/api/v1/queues/:queue/settings', {
    schema: {
      tags: ['reports'], summary: 'Set a queue\'s service level in seconds (admins)', security: [{ bearer: [] }],
      description: '400 CTI_ERR_BAD_SERVICE_LEVEL unless a whole number of seconds from 1 to 3600.',
      params: { type: 'object', required: ['queue'], properties: { queue: queueName } },
      // No type or bounds here: the domain function answers CTI_ERR_BAD_SERVICE_LEVEL, one code for every bad value.
      body: { type: 'object', additionalProperties: false, required: ['serviceLevelSeconds'], properties: { serviceLevelSeconds: {} } },
      response: { 200: { $ref: 'QueueSettings#' }, 400: errorSchema, 401: errorSchema, 403: errorSchema },
    },
  }, async (req) => setQueueSettings({ db: deps.db, actor: actorOf(req) }, req.params.queue, req.body));
}
