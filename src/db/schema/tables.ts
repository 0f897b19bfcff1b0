// Every table, built by one kit (./kit.ts): the same definitions for SQLite and PostgreSQL.
import type { Kit } from './kit.js';
import { defineCalls } from './calls.js';
import { defineClients } from './clients.js';
import { defineContactPhones } from './contact-phones.js';
import { defineContacts } from './contacts.js';
import { defineImportJobs } from './import-jobs.js';
import { defineLoginFailures } from './login-failures.js';
import { defineQueues } from './queues.js';
import { defineReports } from './reports.js';
import { defineSessions } from './sessions.js';
import { defineSettings } from './settings.js';
import { defineTasks } from './tasks.js';
import { defineUsers } from './users.js';

export function defineTables(k: Kit) {
  const u = defineUsers(k);
  const c = defineCalls(k);
  const clients = defineClients(k, u);
  const contacts = defineContacts(k, clients);
  return {
    ...u, ...c, ...clients, ...contacts,
    ...defineContactPhones(k, contacts),
    ...defineSessions(k, u),
    ...defineTasks(k, { calls: c.calls, users: u.users }),
    ...defineSettings(k),
    ...defineReports(k),
    ...defineLoginFailures(k),
    ...defineQueues(k),
    ...defineImportJobs(k),
  };
}

export type Tables = ReturnType<typeof defineTables>;
