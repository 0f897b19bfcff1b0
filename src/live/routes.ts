// REST API v1 for the live board: one snapshot; what changes after it comes over socket.io (live:delta).
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../http/auth.js';
import { liveSnapshot, type LiveSnapshotSource } from './live.js';


const nullable = (type: string) => ({ type: [type, 'null'] }) as const;
const counterValues = {
  calls: { type: 'integer' }, answered: { type: 'integer' }, missed: { type: 'integer' }, talkSeconds: { type: 'integer' },
} as const;
const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } },
} as const;

export const liveSnapshotSchema = {
  $id: 'LiveSnapshot',
  type: 'object',
  properties: {
    pbxId: { type: 'string', description: 'the PBX whose board this is' },
    seq: { type: 'integer' },
    serverTime: { type: 'string', format: 'date-time' },
    pbx: { type: 'string', enum: ['connected', 'disconnected'] },
    managers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          extension: { type: 'string' }, userId: nullable('string'), name: nullable('string'),
          state: { type: 'string', enum: ['available', 'ringing', 'talking', 'offline'] },
          since: { type: 'string', format: 'date-time' }, deviceState: nullable('string'),
        },
      },
    },
    calls: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' }, direction: { type: 'string', enum: ['inbound', 'outbound', 'internal'] },
          state: { type: 'string', enum: ['dialling', 'ringing', 'talking'] },
          extension: nullable('string'), managerName: nullable('string'), externalNumber: nullable('string'),
          contactName: nullable('string'), clientName: nullable('string'),
          startedAt: { type: 'string', format: 'date-time' }, answeredAt: nullable('string'), waiting: { type: 'boolean' },
        },
      },
    },
    queues: {
      type: 'array',
      description: 'app_queue queues, callers waiting in each, and each member\'s state (AMI class agent; src/live/queues.ts)',
      items: {
        type: 'object',
        properties: {
          queue: { type: 'string' }, waiting: { type: 'integer' },
          members: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                interface: { type: 'string' }, extension: nullable('string'), name: { type: 'string' },
                state: { type: 'string', enum: ['available', 'paused', 'ringing', 'talking', 'wrapup', 'offline'] },
                paused: { type: 'boolean' }, pausedReason: nullable('string'), since: { type: 'string', format: 'date-time' },
                callsTaken: { type: 'integer' }, wrapupUntil: nullable('string'),
              },
            },
          },
        },
      },
    },
    counters: {
      type: 'object',
      properties: {
        day: { type: 'string' }, timeZone: { type: 'string' },
        total: { type: 'object', properties: counterValues },
        managers: { type: 'array', items: { type: 'object', properties: { extension: { type: 'string' }, name: nullable('string'), ...counterValues } } },
      },
    },
  },
} as const;

export function registerLiveRoutes(app: FastifyInstance, live: LiveSnapshotSource): void {
  app.addSchema(liveSnapshotSchema);
  app.get<{ Querystring: { pbx?: string } }>('/api/v1/live', {
    schema: {
      tags: ['live'],
      summary: 'The live board: managers and their phones\' states, calls in progress and waiting, today\'s counters (supervisors and admins)',
      description: 'Changes after this snapshot arrive over socket.io as `live:delta` events to supervisors and admins; '
        + 'apply those with seq greater than the snapshot\'s, in order, and fetch a new snapshot on a gap.',
      security: [{ bearer: [] }],
      querystring: { type: 'object', additionalProperties: false, properties: { pbx: { type: 'string', maxLength: 32, description: 'whose board (GET /api/v1/pbxes); default main' } } },
      response: { 200: { $ref: 'LiveSnapshot#' }, 400: errorSchema, 401: errorSchema, 403: errorSchema },
    },
  }, async (req) => liveSnapshot({ actor: actorOf(req), live }, req.query.pbx));
}
