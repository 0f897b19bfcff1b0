// Admin API for the routing rules: read them (supervisors, admins), replace them (admins). Changes are
// validated and take effect at once, without a restart.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../http/auth.js';
import { CtiError } from '../lib/errors.js';
import type { RulesStore } from './rules.js';

export function registerRoutingRoutes(app: FastifyInstance, rules: RulesStore): void {
  app.get('/api/v1/routing/rules', {
    schema: { tags: ['routing'], summary: 'The routing rules in force', security: [{ bearer: [] }] },
  }, async (req) => {
    const actor = actorOf(req);
    if (actor.role === 'manager') throw new CtiError('CTI_ERR_FORBIDDEN', 'Only supervisors and admins see the routing rules');
    return rules.rules;
  });

  app.put('/api/v1/routing/rules', {
    schema: {
      tags: ['routing'],
      summary: 'Replace the routing rules (admins); validated, applied at once, written to CTI_ROUTING_FILE',
      security: [{ bearer: [] }],
      body: { type: 'object' },
    },
  }, async (req) => {
    const actor = actorOf(req);
    if (actor.role !== 'admin') throw new CtiError('CTI_ERR_FORBIDDEN', 'Only admins change the routing rules');
    return rules.replace(req.body);
  });
}
