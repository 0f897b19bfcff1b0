// REST API v1 for reports. Schemas double as validation (400 naming the parameter) and OpenAPI.
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/client.js';
import { actorOf } from '../http/auth.js';
import { CSV_CONTENT_TYPE } from '../lib/csv.js';
import type { Outcome } from '../tasks/outcomes.js';
import { getUserView } from '../users/users.js';
import { reportCsv } from './csv.js';
import { BANDED_METRICS, BANDS, type KpiBands } from './kpi.js';
import { callReport, GROUP_KEYS, type ReportInput } from './report.js';
import { registerQueueReportRoutes } from './queue-routes.js';

const nullableString = { type: ['string', 'null'] } as const;
const cell = {
  type: 'object',
  properties: { value: { type: ['number', 'null'] }, band: { type: ['string', 'null'], enum: [...BANDS, null] } },
} as const;
const metrics = { type: 'object', properties: Object.fromEntries(BANDED_METRICS.map((m) => [m, cell])) } as const;
const outcomes = { type: 'object', additionalProperties: { type: 'integer' }, description: 'wrap-up outcome id -> calls' } as const;
const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } },
} as const;

export const reportSchema = {
  $id: 'CallReport',
  type: 'object',
  properties: {
    from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' }, timeZone: { type: 'string' },
    groupBy: { type: 'array', items: { type: 'string' } }, source: { type: 'string', enum: ['aggregates', 'calls', 'mixed'] },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          extension: nullableString, managerId: nullableString, managerName: nullableString, managerPbx: nullableString,
          period: nullableString, periodStart: nullableString, periodEnd: nullableString, metrics, outcomes,
        },
      },
    },
    totals: { type: 'object', properties: { metrics, outcomes } },
    previous: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' }, metrics, outcomes } },
  },
} as const;

export function registerReportRoutes(app: FastifyInstance, deps: { db: Db; timeZone: string; kpi: KpiBands; outcomes: readonly Outcome[] }): void {
  app.addSchema(reportSchema);
  registerQueueReportRoutes(app, { db: deps.db, timeZone: deps.timeZone });
  app.get<{ Querystring: ReportInput & { format?: 'json' | 'csv' } }>('/api/v1/reports/calls', {
    schema: {
      tags: ['reports'],
      summary: 'Call totals per manager and/or period, with KPI bands and the previous period (supervisors and admins)',
      description: 'Ended calls count in the period their start falls in (a call spanning midnight belongs to the day it started). '
        + '`from`/`to` are dates (local midnight in `tz`) or ISO 8601 date-times; `to` is exclusive.',
      security: [{ bearer: [] }],
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to'],
        properties: {
          from: { type: 'string', maxLength: 40, description: 'YYYY-MM-DD (local) or ISO 8601 date-time: calls started at or after' },
          to: { type: 'string', maxLength: 40, description: 'YYYY-MM-DD (local) or ISO 8601 date-time: calls started before' },
          groupBy: { type: 'string', maxLength: 40, description: `comma-separated: ${GROUP_KEYS.join(', ')} (manager plus at most one period)` },
          direction: { type: 'string', enum: ['inbound', 'outbound', 'internal'] },
          extension: { type: 'string', pattern: '^[0-9]{2,6}$' },
          pbx: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,31}$', description: 'one PBX\'s calls (GET /api/v1/pbxes); all when absent' },
          tz: { type: 'string', maxLength: 64, description: 'IANA time zone; default CTI_TIMEZONE' },
          format: { type: 'string', enum: ['json', 'csv'], default: 'json', description: 'csv: a table for Excel (UTF-8 BOM, ";")' },
        },
      },
      response: { 200: { $ref: 'CallReport#' }, 400: errorSchema, 401: errorSchema, 403: errorSchema },
    },
  }, async (req, reply) => {
    const { format, ...input } = req.query;
    const actor = actorOf(req);
    const report = await callReport({ db: deps.db, actor, timeZone: deps.timeZone, kpi: deps.kpi, outcomes: deps.outcomes }, input);
    if (format !== 'csv') return report;
    const lang = (await getUserView(deps.db, actor.id)).language;
    return reply.type(CSV_CONTENT_TYPE).header('content-disposition', 'attachment; filename="calls-report.csv"')
      .send(reportCsv(report, lang, deps.outcomes));
  });
}
