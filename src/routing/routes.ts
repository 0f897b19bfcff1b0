// Admin API for the routing rules: read them and the phones they can ring (supervisors, admins), check and
// replace them (admins). Changes are validated and take effect at once, without a restart.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import { actorOf } from '../http/auth.js';
import { checkRoutingRules, readRules, replaceRules, routingPhones } from './admin.js';
import type { RulesStore } from './rules.js';

export function registerRoutingRoutes(app: FastifyInstance, deps: { db: Db; rules: RulesStore; pbxIds?: readonly string[] }): void {
  const ctx = (req: FastifyRequest) => ({ db: deps.db, rules: deps.rules, actor: actorOf(req), ...(deps.pbxIds ? { pbxIds: deps.pbxIds } : {}) });

  app.get('/api/v1/routing/rules', {
    schema: { tags: ['routing'], summary: 'The routing rules in force', security: [{ bearer: [] }] },
  }, async (req) => readRules(ctx(req)));

  app.put('/api/v1/routing/rules', {
    schema: {
      tags: ['routing'],
      summary: 'Replace the routing rules (admins); validated (400: details.problems, each at its path), applied at once, written to CTI_ROUTING_FILE',
      security: [{ bearer: [] }],
      body: { type: 'object' },
    },
  }, async (req) => replaceRules(ctx(req), req.body));

  app.post('/api/v1/routing/rules/check', {
    schema: {
      tags: ['routing'],
      summary: 'Check routing rules without saving them (admins): { rules (defaults filled) or null, problems: [{ path, code, severity, message }] }',
      security: [{ bearer: [] }],
      body: { type: 'object' },
    },
  }, async (req) => checkRoutingRules(ctx(req), req.body));

  app.get('/api/v1/routing/phones', {
    schema: { tags: ['routing'], summary: 'Users\' phones a routing target can ring: [{ extension, name, role }]', security: [{ bearer: [] }] },
  }, async (req) => ({ items: await routingPhones(ctx(req)) }));
}
