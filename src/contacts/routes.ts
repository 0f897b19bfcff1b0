// REST API v1 for clients, contacts, caller-ID lookup and CSV imports. Schemas double as validation
// (400 naming the field) and OpenAPI; access rules live in the domain functions, not here.
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CLIENT_KINDS } from '../contract/enums.js';
import type { Db } from '../db/client.js';
import { actorOf } from '../http/auth.js';
import { CtiError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { createClient, deleteClient, getClient, listClients, updateClient, upsertClientByExternalId, type ClientFilters, type ClientInput } from './clients.js';
import { createContact, deleteContact, getContact, listContacts, updateContact, upsertContactByExternalId, type ContactFilters, type ContactInput } from './contacts.js';
import { assertMayImport, type ContactsContext } from './context.js';
import { ImportJobs } from './import-jobs.js';
import { lookupNumber } from './lookup.js';

const nullableString = { type: ['string', 'null'] } as const;
const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      // details: CTI_ERR_BAD_TEXT's { field, fault } (src/lib/text.ts)
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true } },
    },
  },
} as const;
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema } as const;

export const clientSchema = {
  $id: 'Client',
  type: 'object',
  properties: {
    id: { type: 'string' }, kind: { type: 'string', enum: CLIENT_KINDS }, name: { type: 'string' },
    turnover: { type: ['string', 'null'], description: 'monthly turnover, a decimal string in `currency` ("200000.00")' },
    currency: { type: ['string', 'null'], description: 'ISO 4217' }, ownerId: nullableString, segment: nullableString,
    externalId: nullableString, createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const contactSchema = {
  $id: 'Contact',
  type: 'object',
  properties: {
    id: { type: 'string' }, clientId: { type: 'string' }, name: { type: 'string' }, email: nullableString, externalId: nullableString,
    phones: {
      type: 'array',
      items: { type: 'object', properties: { number: { type: 'string', description: 'as given' }, e164: { type: 'string' }, label: nullableString } },
    },
    createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const importSchema = {
  $id: 'Import',
  type: 'object',
  properties: {
    id: { type: 'string' }, state: { type: 'string', enum: ['running', 'done', 'failed'] },
    rowsRead: { type: 'integer' }, rowsImported: { type: 'integer' }, rowsChanged: { type: 'integer' }, rowsRejected: { type: 'integer' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { row: { type: 'integer' }, column: nullableString, reason: { type: 'string' } } },
    },
    errorsTruncated: { type: 'boolean' }, message: nullableString, startedBy: { type: 'string' },
    startedAt: { type: 'string', format: 'date-time' }, finishedAt: nullableString,
  },
} as const;

const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;
const clientBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: CLIENT_KINDS },
    name: text(200),
    turnover: {
      anyOf: [{ type: 'string', maxLength: 40 }, { type: 'number', minimum: 0 }, { type: 'null' }],
      description: 'monthly turnover: "200000.50", "200 000,50" or a number; needs currency',
    },
    currency: { type: ['string', 'null'], maxLength: 3, description: 'ISO 4217, e.g. RUB' },
    ownerId: { type: ['string', 'null'], maxLength: 64, description: 'the owner manager (user id)' },
    ownerName: { type: ['string', 'null'], maxLength: 64, description: 'or the owner by user name' },
    segment: { type: ['string', 'null'], maxLength: 64 },
    externalId: { type: ['string', 'null'], maxLength: 128, description: 'id in the external CRM' },
  },
} as const;
const contactBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    clientId: { type: 'string', maxLength: 64 },
    clientExternalId: { type: 'string', maxLength: 128, description: 'or the client by its external CRM id' },
    name: text(200),
    email: { type: ['string', 'null'], maxLength: 254 },
    externalId: { type: ['string', 'null'], maxLength: 128, description: 'id in the external CRM' },
    phones: {
      type: 'array',
      maxItems: 20,
      description: 'the whole list (replaces the numbers); any format, e.g. "8 (916) 123-45-67, доб. 12"',
      items: {
        type: 'object', additionalProperties: false, required: ['number'],
        properties: { number: { type: 'string', maxLength: 80 }, label: { type: ['string', 'null'], maxLength: 32 } },
      },
    },
  },
} as const;
const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;
const extParams = { type: 'object', properties: { externalId: { type: 'string', minLength: 1, maxLength: 128 } }, required: ['externalId'] } as const;
const paging = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  cursor: { type: 'string', maxLength: 1000 },
  q: { type: 'string', maxLength: 200, description: 'name, email or phone number (any format, or a part of one)' },
} as const;
const page = (ref: string) => ({ type: 'object', properties: { items: { type: 'array', items: { $ref: `${ref}#` } }, nextCursor: nullableString } }) as const;

export interface ContactRoutesDeps {
  db: Db;
  log: Logger;
  region: string;
  rematchDays: number;
  /** Largest CSV accepted by POST /api/v1/imports (default 2 GiB). */
  maxImportBytes?: number;
}

export function registerContactRoutes(app: FastifyInstance, deps: ContactRoutesDeps): void {
  const ctx = (req: FastifyRequest): ContactsContext => ({
    db: deps.db, actor: actorOf(req), region: deps.region, rematchWindowMs: deps.rematchDays * 86_400_000,
  });
  const jobs = new ImportJobs(deps.db, deps.log.child({ feature: 'imports' }));
  app.addHook('onClose', async () => jobs.stop());
  app.addSchema(clientSchema);
  app.addSchema(contactSchema);
  app.addSchema(importSchema);
  const secured = { security: [{ bearer: [] }] };

  // --- clients
  app.get<{ Querystring: ClientFilters }>('/api/v1/clients', {
    schema: {
      tags: ['clients'], summary: 'Clients by name, one page at a time', ...secured,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          ...paging, ownerId: { type: 'string', maxLength: 64 }, segment: { type: 'string', maxLength: 64 },
          kind: { type: 'string', enum: CLIENT_KINDS },
        },
      },
      response: { 200: page('Client'), ...errors },
    },
  }, async (req) => listClients(ctx(req), req.query));

  app.post<{ Body: ClientInput }>('/api/v1/clients', {
    schema: { tags: ['clients'], summary: 'Create a client', ...secured, body: { ...clientBody, required: ['name'] }, response: { 201: { $ref: 'Client#' }, ...errors } },
  }, async (req, reply) => reply.code(201).send(await createClient(ctx(req), req.body)));

  app.get<{ Params: { id: string } }>('/api/v1/clients/:id', {
    schema: { tags: ['clients'], summary: 'One client', ...secured, params: idParams, response: { 200: { $ref: 'Client#' }, ...errors } },
  }, async (req) => getClient(ctx(req), req.params.id));

  app.patch<{ Params: { id: string }; Body: ClientInput }>('/api/v1/clients/:id', {
    schema: {
      tags: ['clients'], summary: 'Change some fields of a client', ...secured, params: idParams,
      body: { ...clientBody, minProperties: 1 }, response: { 200: { $ref: 'Client#' }, ...errors },
    },
  }, async (req) => updateClient(ctx(req), req.params.id, req.body));

  app.delete<{ Params: { id: string } }>('/api/v1/clients/:id', {
    schema: { tags: ['clients'], summary: 'Delete a client and its contacts', ...secured, params: idParams, response: { 204: { type: 'null' }, ...errors } },
  }, async (req, reply) => {
    await deleteClient(ctx(req), req.params.id);
    return reply.code(204).send();
  });

  app.put<{ Params: { externalId: string }; Body: ClientInput }>('/api/v1/clients/external/:externalId', {
    schema: {
      tags: ['clients'], summary: 'Create or replace a client by its external CRM id (201 created, 200 updated)', ...secured,
      params: extParams, body: { ...clientBody, required: ['name'] }, response: { 200: { $ref: 'Client#' }, 201: { $ref: 'Client#' }, ...errors },
    },
  }, async (req, reply) => {
    const r = await upsertClientByExternalId(ctx(req), req.params.externalId, req.body);
    return reply.code(r.created ? 201 : 200).send(r.client);
  });

  // --- contacts
  app.get<{ Querystring: ContactFilters }>('/api/v1/contacts', {
    schema: {
      tags: ['contacts'], summary: 'Contacts by name, one page at a time', ...secured,
      querystring: { type: 'object', additionalProperties: false, properties: { ...paging, clientId: { type: 'string', maxLength: 64 } } },
      response: { 200: page('Contact'), ...errors },
    },
  }, async (req) => listContacts(ctx(req), req.query));

  app.get<{ Querystring: { number: string } }>('/api/v1/contacts/lookup', {
    schema: {
      tags: ['contacts'], summary: 'Who has this number (any format): contact, client, owner manager and turnover', ...secured,
      querystring: {
        type: 'object', additionalProperties: false, required: ['number'],
        properties: { number: { type: 'string', minLength: 1, maxLength: 80, description: 'e.g. 8 (916) 123-45-67' } },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            contact: { $ref: 'Contact#' }, client: { $ref: 'Client#' },
            owner: { anyOf: [{ type: 'null' }, { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, extension: nullableString, pbx: { type: 'string', description: 'the PBX the extension is on (GET /api/v1/pbxes)' } } }] },
            turnover: {
              anyOf: [{ type: 'null' }, {
                type: 'object',
                properties: { amount: { type: 'string' }, currency: { type: 'string' }, minorUnits: { type: 'integer', description: 'amount in minor units (kopecks)' } },
              }],
            },
          },
        },
        ...errors,
      },
    },
  }, async (req) => lookupNumber(ctx(req), req.query.number));

  app.post<{ Body: ContactInput }>('/api/v1/contacts', {
    schema: { tags: ['contacts'], summary: 'Create a contact of a client', ...secured, body: { ...contactBody, required: ['name'] }, response: { 201: { $ref: 'Contact#' }, ...errors } },
  }, async (req, reply) => reply.code(201).send(await createContact(ctx(req), req.body)));

  app.get<{ Params: { id: string } }>('/api/v1/contacts/:id', {
    schema: { tags: ['contacts'], summary: 'One contact with its numbers', ...secured, params: idParams, response: { 200: { $ref: 'Contact#' }, ...errors } },
  }, async (req) => getContact(ctx(req), req.params.id));

  app.patch<{ Params: { id: string }; Body: ContactInput }>('/api/v1/contacts/:id', {
    schema: {
      tags: ['contacts'], summary: 'Change some fields of a contact (phones, when given, replaces the list)', ...secured, params: idParams,
      body: { ...contactBody, minProperties: 1 }, response: { 200: { $ref: 'Contact#' }, ...errors },
    },
  }, async (req) => updateContact(ctx(req), req.params.id, req.body));

  app.delete<{ Params: { id: string } }>('/api/v1/contacts/:id', {
    schema: { tags: ['contacts'], summary: 'Delete a contact', ...secured, params: idParams, response: { 204: { type: 'null' }, ...errors } },
  }, async (req, reply) => {
    await deleteContact(ctx(req), req.params.id);
    return reply.code(204).send();
  });

  app.put<{ Params: { externalId: string }; Body: ContactInput }>('/api/v1/contacts/external/:externalId', {
    schema: {
      tags: ['contacts'], summary: 'Create or replace a contact by its external CRM id (201 created, 200 updated)', ...secured,
      params: extParams, body: { ...contactBody, required: ['name'] }, response: { 200: { $ref: 'Contact#' }, 201: { $ref: 'Contact#' }, ...errors },
    },
  }, async (req, reply) => {
    const r = await upsertContactByExternalId(ctx(req), req.params.externalId, req.body);
    return reply.code(r.created ? 201 : 200).send(r.contact);
  });

  // --- CSV imports: the body is spooled to a temporary file as it arrives (memory stays flat), then
  // imported in the background; 202 as soon as the upload is complete.
  const csvTypes = ['text/csv', 'application/csv'];
  app.addContentTypeParser(csvTypes, (_req, payload, done) => done(null, payload));
  const maxBytes = deps.maxImportBytes ?? 2 * 1024 ** 3;

  app.post('/api/v1/imports', {
    // Before the body is read: a manager's upload is refused without spooling it.
    onRequest: async (req) => assertMayImport(actorOf(req)),
    schema: {
      tags: ['imports'], ...secured,
      summary: 'Import clients and contacts from a CSV file (text/csv; columns in the README); poll GET /api/v1/imports/{id}',
      response: { 202: { $ref: 'Import#' }, 400: errorSchema, 401: errorSchema, 403: errorSchema, 413: errorSchema, 415: errorSchema },
    },
  }, async (req, reply) => {
    const c = ctx(req);
    assertMayImport(c.actor);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!csvTypes.includes(type)) throw new CtiError('CTI_ERR_UNSUPPORTED_MEDIA_TYPE', 'content-type: send the file as text/csv');
    const dir = mkdtempSync(join(tmpdir(), 'cti-import-'));
    const file = join(dir, 'upload.csv');
    try {
      let size = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          size += chunk.length;
          if (size > maxBytes) cb(new CtiError('CTI_ERR_PAYLOAD_TOO_LARGE', `body: at most ${maxBytes} bytes`));
          else cb(null, chunk);
        },
      });
      // mkdtemp made the folder 0700; the upload is 0600 from its creation (issue 10).
      await pipeline(req.body as Readable, limit, createWriteStream(file, { mode: 0o600 }));
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return reply.code(202).send(await jobs.start(c, file));
  });

  app.get<{ Params: { id: string } }>('/api/v1/imports/:id', {
    schema: { tags: ['imports'], summary: 'Progress and bad rows of an import', ...secured, params: idParams, response: { 200: { $ref: 'Import#' }, ...errors } },
  }, async (req) => jobs.get(ctx(req), req.params.id));
}
