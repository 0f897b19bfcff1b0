// The call log's writes on a fresh SQLite: what the tracker changed reaches storage in order, a write
// the database refuses is tried again, and stopping waits for the queued writes (the database closes after).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallLog } from '../../src/calls/call-log.js';
import { openDb, type DbHandle } from '../../src/db/client.js';
import { calls } from '../../src/db/schema/index.js';
import type { PbxEvent } from '../../src/pbx/events.js';
import { scenarioEvents } from '../support/ami-fixture.js';

/** The call's linkedid: its first CEL record's. */
function linkedIdOf(evs: PbxEvent[]): string {
  const e = evs.find((x) => x.type === 'cel');
  if (!e || e.type !== 'cel') throw new Error('no CEL record in the scenario');
  return e.linkedId;
}

describe('the call log writes', () => {
  let dir: string;
  let h: DbHandle;
  let log: CallLog;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cti-writes-'));
    h = await openDb(join(dir, 'cti.sqlite'));
    log = new CallLog({
      db: h.db, log: pino({ level: 'silent' }), extensionPattern: /^[0-9]{3}$/, region: 'RU', recordingsDir: join(dir, 'recordings'),
      celFile: join(dir, 'cti.csv'), reconcileIntervalMs: 60_000, cdrSettleMs: 60_000,
    });
  });
  afterEach(async () => {
    await log.stop();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a call that ends just before shutdown is in storage, ended, once stop() resolves', async () => {
    const evs = scenarioEvents('inbound-answered', { copy: 'stop' });
    for (const e of evs) log.handle(e);
    await log.stop();
    const row = await log.store.findByLinkedId(linkedIdOf(evs));
    expect(row).toMatchObject({ state: 'ended', disposition: 'answered', source: 'ami' });
    expect(await h.db.select().from(calls)).toHaveLength(1);
  });

  it('a write the database refuses is tried again with the call as it is by then', async () => {
    const save = log.store.saveMany.bind(log.store);
    let refusals = 2; // the batch, then the call on its own
    log.store.saveMany = async (...args: Parameters<typeof save>) => {
      if (refusals-- > 0) throw new Error('the database is restarting');
      return save(...args);
    };
    const evs = scenarioEvents('inbound-answered', { copy: 'retry' });
    for (const e of evs) log.handle(e);
    await log.flush();
    const linkedId = linkedIdOf(evs);
    expect(await log.store.findByLinkedId(linkedId)).toBeUndefined();
    // The first retry comes a second later.
    await new Promise((r) => setTimeout(r, 1300));
    await log.idle();
    expect(await log.store.findByLinkedId(linkedId)).toMatchObject({ state: 'ended', disposition: 'answered' });
  });
});
