// The tables domain code names, typed as SQLite's, bound to the dialect the process opened: ES module
// bindings are live, so useDialect('postgres') (called by src/db/client.ts before it hands out a
// database) makes every importer's `calls` the PostgreSQL table. One process, one database.
import * as sqlite from './sqlite.js';
import type { Tables } from './tables.js';

export type Dialect = 'sqlite' | 'postgres';

export let users: Tables['users'] = sqlite.users;
export let apiTokens: Tables['apiTokens'] = sqlite.apiTokens;
export let calls: Tables['calls'] = sqlite.calls;
export let callLegs: Tables['callLegs'] = sqlite.callLegs;
export let clients: Tables['clients'] = sqlite.clients;
export let contacts: Tables['contacts'] = sqlite.contacts;
export let contactPhones: Tables['contactPhones'] = sqlite.contactPhones;
export let sessions: Tables['sessions'] = sqlite.sessions;
export let tasks: Tables['tasks'] = sqlite.tasks;
export let callWrapups: Tables['callWrapups'] = sqlite.callWrapups;
export let settings: Tables['settings'] = sqlite.settings;
export let callStatsHourly: Tables['callStatsHourly'] = sqlite.callStatsHourly;
export let callOutcomeStatsHourly: Tables['callOutcomeStatsHourly'] = sqlite.callOutcomeStatsHourly;
export let reportDirty: Tables['reportDirty'] = sqlite.reportDirty;
export let loginFailures: Tables['loginFailures'] = sqlite.loginFailures;
export let queueSettings: Tables['queueSettings'] = sqlite.queueSettings;
export let importJobs: Tables['importJobs'] = sqlite.importJobs;

let current: Dialect = 'sqlite';
let postgres: Tables | undefined;

/** Binds the tables to a dialect's; `postgres` loads its definitions on first use. */
export async function useDialect(dialect: Dialect): Promise<void> {
  if (dialect === current) return;
  const t: Tables = dialect === 'sqlite' ? sqlite : (postgres ??= (await import('./postgres.js')) as unknown as Tables);

  users = t.users;
  apiTokens = t.apiTokens;
  calls = t.calls;
  callLegs = t.callLegs;
  clients = t.clients;
  contacts = t.contacts;
  contactPhones = t.contactPhones;
  sessions = t.sessions;
  tasks = t.tasks;
  callWrapups = t.callWrapups;
  settings = t.settings;
  callStatsHourly = t.callStatsHourly;
  callOutcomeStatsHourly = t.callOutcomeStatsHourly;
  reportDirty = t.reportDirty;
  loginFailures = t.loginFailures;
  queueSettings = t.queueSettings;
  importJobs = t.importJobs;
  current = dialect;
}

export function currentDialect(): Dialect {
  return current;
}
export * from './calls.js';
export * from './users.js';
export * from './settings.js';
export * from './clients.js';
export * from './contacts.js';
export * from './contact-phones.js';
export * from './sessions.js';
export * from './tasks.js';
export * from './reports.js';
export * from './login-failures.js';
export * from './queues.js';
export * from './import-jobs.js';
