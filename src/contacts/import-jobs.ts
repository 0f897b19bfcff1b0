// CSV imports started over the API: each runs in the background, on the instance that received the
// upload, from a spooled file, and keeps its progress in the database (import_jobs), so that any
// instance answers GET /api/v1/imports/:id and a restart keeps the record. The last 50 imports are
// kept, each with its first 10,000 bad rows (the counts are always complete). Progress is written
// after every batch, at most once a second, and at least every HEARTBEAT_MS while the import runs: a
// job still running whose heartbeat stopped belongs to an instance that died, and reads as failed.
// What an interrupted import wrote stays, and importing the same file again completes it.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { desc, eq, and, ne, notInArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { first } from '../db/query.js';
import { importJobs, type ImportJobRow } from '../db/schema/index.js';
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
  /** Why a failed import stopped (a bad header, the service shutting down, the instance gone). */
  message: string | null;
  startedBy: string;
  startedAt: string;
  finishedAt: string | null;
}

const MAX_JOBS = 50;
const MAX_ERRORS = 10_000;
/** Progress is written at most this often while rows keep coming (ms). */
const WRITE_MS = 1000;
/** A running import's record is touched at least this often (ms)... */
const HEARTBEAT_MS = 5000;
/** ...so one untouched this long was left by an instance that stopped (ms). */
export const ORPHANED_MS = 30_000;
export const ORPHANED_MESSAGE = 'stopped: the instance running it stopped; import the file again to complete it';

function viewOf(r: ImportJobRow, now: number): ImportView {
  const orphaned = r.state === 'running' && now - r.heartbeatAt > ORPHANED_MS;
  return {
    id: r.id, state: orphaned ? 'failed' : r.state,
    rowsRead: r.rowsRead, rowsImported: r.rowsImported, rowsChanged: r.rowsChanged, rowsRejected: r.rowsRejected,
    errors: JSON.parse(r.errors) as ImportRowError[], errorsTruncated: r.errorsTruncated,
    message: orphaned ? ORPHANED_MESSAGE : r.message, startedBy: r.startedBy, startedAt: new Date(r.startedAt).toISOString(),
    finishedAt: r.finishedAt !== null ? new Date(r.finishedAt).toISOString() : orphaned ? new Date(r.heartbeatAt).toISOString() : null,
  };
}

/** One running import's record: the latest counts, written in order, one write at a time. */
class JobRecord {
  counts: ImportCounts = { rowsRead: 0, rowsImported: 0, rowsChanged: 0, rowsRejected: 0 };
  readonly errors: ImportRowError[] = [];
  errorsTruncated = false;
  private errorsWritten = 0;
  private lastWrite = 0;
  private writing: Promise<void> = Promise.resolve();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly db: Db, readonly id: string, private readonly log: Logger, private readonly clock: () => number) {
    this.heartbeat = setInterval(() => this.write(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** After a batch: written unless the last write was under WRITE_MS ago. */
  progress(c: ImportCounts): void {
    this.counts = c;
    if (this.clock() - this.lastWrite >= WRITE_MS) void this.write();
  }

  write(end?: { state: 'done' | 'failed'; message: string | null }): Promise<void> {
    this.lastWrite = this.clock();
    const set: Partial<ImportJobRow> = { ...this.counts, heartbeatAt: this.lastWrite, errorsTruncated: this.errorsTruncated };
    if (this.errors.length !== this.errorsWritten) {
      set.errors = JSON.stringify(this.errors);
      this.errorsWritten = this.errors.length;
    }
    if (end) {
      clearInterval(this.heartbeat);
      Object.assign(set, { state: end.state, message: end.message, finishedAt: this.lastWrite });
    }
    this.writing = this.writing.then(async () => {
      await this.db.update(importJobs).set(set).where(eq(importJobs.id, this.id));
    }).catch((err: unknown) => this.log.error({ err }, 'import progress could not be written'));
    return this.writing;
  }
}

export class ImportJobs {
  private readonly running = new Map<string, { done: Promise<void>; abort: AbortController }>();
  private readonly clock: () => number;

  constructor(private readonly db: Db, private readonly log: Logger, clock?: () => number) {
    this.clock = clock ?? Date.now;
  }

  /** Import the spooled `file` (removed with its folder afterwards) in the background. */
  async start(ctx: ContactsContext, file: string): Promise<ImportView> {
    assertMayImport(ctx.actor);
    const id = randomUUID();
    const now = this.clock();
    const row: ImportJobRow = {
      id, state: 'running', rowsRead: 0, rowsImported: 0, rowsChanged: 0, rowsRejected: 0, errors: '[]', errorsTruncated: false,
      message: null, startedBy: ctx.actor.name, startedAt: now, finishedAt: null, heartbeatAt: now,
    };
    try {
      await this.db.insert(importJobs).values(row);
      await this.prune();
    } catch (err) {
      rmSync(dirname(file), { recursive: true, force: true });
      throw err;
    }
    const job = new JobRecord(this.db, id, this.log, this.clock);
    const abort = new AbortController();
    const log = this.log.child({ importId: id });
    const done = importContacts(ctx, { path: file }, {
      signal: abort.signal,
      onProgress: (c) => job.progress(c),
      onRowError: (e) => {
        if (job.errors.length < MAX_ERRORS) job.errors.push(e);
        else job.errorsTruncated = true;
      },
    }).then(async (r) => {
      job.counts = { rowsRead: r.rowsRead, rowsImported: r.rowsImported, rowsChanged: r.rowsChanged, rowsRejected: r.rowsRejected };
      await job.write({ state: 'done', message: null });
      log.info({ ...r }, 'contacts imported');
    }, async (err: unknown) => {
      const message = err instanceof CtiError ? err.message : abort.signal.aborted ? 'stopped: the service shut down' : 'the import failed';
      if (!(err instanceof CtiError) && !abort.signal.aborted) log.error({ err }, 'import failed');
      await job.write({ state: 'failed', message });
    }).finally(() => {
      this.running.delete(id);
      rmSync(dirname(file), { recursive: true, force: true });
    });
    this.running.set(id, { done, abort });
    return viewOf(row, now);
  }

  /** Only the newest MAX_JOBS records are kept; a running one is never removed. */
  private async prune(): Promise<void> {
    const keep = await this.db.select({ id: importJobs.id }).from(importJobs).orderBy(desc(importJobs.startedAt)).limit(MAX_JOBS);
    if (keep.length < MAX_JOBS) return;
    await this.db.delete(importJobs).where(and(ne(importJobs.state, 'running'), notInArray(importJobs.id, keep.map((k) => k.id))));
  }

  /** Progress of an import: supervisors and admins (who may import) see every import. */
  async get(ctx: Pick<ContactsContext, 'actor'>, id: string): Promise<ImportView> {
    assertMayImport(ctx.actor);
    const row = await first(this.db.select().from(importJobs).where(eq(importJobs.id, id)));
    if (!row) throw new CtiError('CTI_ERR_IMPORT_NOT_FOUND');
    return viewOf(row, this.clock());
  }

  /** Shutdown: running imports stop after their current batch, and say so in their record. */
  async stop(): Promise<void> {
    for (const r of this.running.values()) r.abort.abort();
    await Promise.all([...this.running.values()].map((r) => r.done));
  }
}
