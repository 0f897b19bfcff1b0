// The database as a fastify plugin: opened (and migrated) before any feature registers, closed last.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { openDb, type Db } from './client.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
  }
}

export const dbPlugin = fp(async (app: FastifyInstance, o: { target: string }) => {
  const handle = await openDb(o.target);
  app.decorate('db', handle.db);
  app.addHook('onClose', async () => handle.close());
}, { name: 'db' });
