// CSV imports started over the API: each runs in the background from a spooled file and keeps its
// progress here for polling (GET /api/v1/imports/:id). Kept in memory: the last 50 imports, each with
// its first 10,000 bad rows (the counts are always complete). A restart forgets them; what they wrote
// stays, and importing the same file again completes an interrupted one.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../lib/logger.js';
import { CtiError } from '../lib/errors.js';
import { assertMayImport, type ContactsContext } from './context.js';
import { importContacts, type ImportCounts, type ImportRowError } from './import.js';

export type ImportState = 'running' | 'done' | 'failed';

export interface ImportView extends ImportCounts {
  id: string;
  state: ImportState;
  errors: ImportRowError[];
  /** More rows were bad than `errors` lists (see rowsRejected for how many). */
  errorsTruncated: boolean;
  /** Why a failed import stopped (a bad header, the service shutting down). */
  message: string | null;
  startedBy: string;
  startedAt: string;
  finishedAt: string | null;
}

const MAX_JOBS = 50;
const MAX_ERRORS = 10_000;

export class ImportJobs {
  private readonly jobs = new Map<string, ImportView>();
  private readonly running = new Map<string, { done: Promise<void>; abort: AbortController }>();

  constructor(private readonly log: Logger) {}

  /** Import the spooled `file` (removed with its folder afterwards) in the background. */
  start(ctx: ContactsContext, file: string): ImportView {
    assertMayImport(ctx.actor);
    const id = randomUUID();
    const job: ImportView = {
      id, state: 'running', rowsRead: 0, rowsImported: 0, rowsChanged: 0, rowsRejected: 0, errors: [], errorsTruncated: false,
      message: null, startedBy: ctx.actor.name, startedAt: new Date().toISOString(), finishedAt: null,
    };
    this.jobs.set(id, job);
    for (const old of this.jobs.keys()) {
      if (this.jobs.size <= MAX_JOBS) break;
      if (!this.running.has(old)) this.jobs.delete(old);
    }
    const abort = new AbortController();
    const log = this.log.child({ importId: id });
    const done = importContacts(ctx, { path: file }, {
      signal: abort.signal,
      onProgress: (c) => Object.assign(job, c),
      onRowError: (e) => {
        if (job.errors.length < MAX_ERRORS) job.errors.push(e);
        else job.errorsTruncated = true;
      },
    }).then((r) => {
      Object.assign(job, { rowsRead: r.rowsRead, rowsImported: r.rowsImported, rowsChanged: r.rowsChanged, rowsRejected: r.rowsRejected, state: 'done' });
      log.info({ ...r }, 'contacts imported');
    }, (err: unknown) => {
      job.state = 'failed';
      job.message = err instanceof CtiError ? err.message : abort.signal.aborted ? 'stopped: the service shut down' : 'the import failed';
      if (!(err instanceof CtiError) && !abort.signal.aborted) log.error({ err }, 'import failed');
    }).finally(() => {
      job.finishedAt = new Date().toISOString();
      this.running.delete(id);
      rmSync(dirname(file), { recursive: true, force: true });
    });
    this.running.set(id, { done, abort });
    return { ...job };
  }

  /** Progress of an import: supervisors and admins (who may import) see every import. */
  get(ctx: Pick<ContactsContext, 'actor'>, id: string): ImportView {
    assertMayImport(ctx.actor);
    const job = this.jobs.get(id);
    if (!job) throw new CtiError('CTI_ERR_IMPORT_NOT_FOUND');
    return { ...job, errors: [...job.errors] };
  }

  /** Shutdown: running imports stop after their current batch. */
  async stop(): Promise<void> {
    for (const r of this.running.values()) r.abort.abort();
    await Promise.all([...this.running.values()].map((r) => r.done));
  }
}
