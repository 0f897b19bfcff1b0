import { defineConfig } from 'drizzle-kit';

// PostgreSQL's migrations, from the same table definitions as SQLite's (src/db/schema/kit.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/postgres.ts',
  out: './migrations/postgres',
});
