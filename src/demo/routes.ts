// GET /api/v1/auth/demo: the demo's logins and their password, for its login page. Registered only
// when the service runs as the demo (CTI_DEMO=true, set by `cti demo`); elsewhere the path is a 404.
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, DEMO_USERS } from './data.js';

export function registerDemoRoutes(app: FastifyInstance): void {
  app.get('/api/v1/auth/demo', {
    schema: { tags: ['auth'], summary: 'The demo: its logins and password (only when the service runs as the demo)' },
  }, async () => ({
    password: DEMO_PASSWORD,
    users: DEMO_USERS.map((u) => ({ name: u.name, role: u.role, extension: u.extension })),
  }));
}
