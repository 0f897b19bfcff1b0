// The SQLite tables, for drizzle-kit (drizzle.config.ts) and for src/db/client.ts.
import { sqliteKit } from './kit.js';
import { defineTables } from './tables.js';

export const {
  users, apiTokens, calls, callLegs, clients, contacts, contactPhones, sessions, tasks, callWrapups, settings,
  callStatsHourly, callOutcomeStatsHourly, reportDirty, loginFailures, queueSettings, importJobs,
} = defineTables(sqliteKit);
