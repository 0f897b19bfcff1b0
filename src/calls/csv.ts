// The call log as CSV (GET /api/v1/calls?format=csv): every call matching the filters, no paging,
// streamed a page at a time so memory stays flat. Each page is its own query (keyset cursor), so no
// statement stays open on the shared connection between chunks. Excel conventions: src/lib/csv.ts.
import { CSV_BOM, csvLine } from '../lib/csv.js';
import { localDateTime } from '../lib/timezone.js';
import type { Outcome } from '../tasks/outcomes.js';
import type { Language } from '../contract/enums.js';
import { listCalls, type CallFilters, type CallView, type QueryContext } from './queries.js';

const PAGE = 1000;

// The page's words (web/src/messages: disposition, ring, talk; the wrap-up's outcome), with units.
export const CALLS_CSV_HEADERS = {
  ru: ['Начало', 'Направление', 'Номер', 'Добавочный', 'Результат', 'Ожидание, с', 'Разговор, с', 'Итог разговора', 'Комментарий', 'Очередь', 'Ожидание в очереди, с', 'Итог в очереди', 'Запись', 'ID звонка'],
  en: ['Started', 'Direction', 'Number', 'Extension', 'Result', 'Ring time, s', 'Talk, s', 'Outcome', 'Note', 'Queue', 'Queue wait, s', 'Queue result', 'Recording', 'Call id'],
};
/** With several PBXs (GET /api/v1/pbxes), after the extension: its PBX's name (web/src/messages `pbx`). */
export const CALLS_CSV_PBX_HEADER: Record<Language, string> = { ru: 'АТС', en: 'PBX' };
const DIRECTIONS: Record<Language, Record<string, string>> = {
  ru: { inbound: 'Входящий', outbound: 'Исходящий', internal: 'Внутренний' },
  en: { inbound: 'Inbound', outbound: 'Outbound', internal: 'Internal' },
};
export const CALLS_CSV_DISPOSITIONS: Record<Language, Record<string, string>> = {
  ru: { answered: 'Отвечен', no_answer: 'Без ответа', busy: 'Занято', failed: 'Ошибка' },
  en: { answered: 'Answered', no_answer: 'No answer', busy: 'Busy', failed: 'Failed' },
};

/** How a call left its queue (web/src/messages queueResult_*). */
export const CALLS_CSV_QUEUE_RESULTS: Record<Language, Record<string, string>> = {
  ru: { answered: 'Отвечен', abandoned: 'Брошен', timeout: 'Тайм-аут' },
  en: { answered: 'Answered', abandoned: 'Abandoned', timeout: 'Timed out' },
};

export interface CallsCsvOptions {
  lang: Language;
  timeZone: string;
  outcomes: readonly Outcome[];
  /**
   * Where the recording links are made absolute (a spreadsheet has no page to resolve a relative URL
   * against): CTI_PUBLIC_URL, never the request's Host header, which the client chooses (a link to
   * another host in a file people trust, with their token pasted next to it).
   */
  baseUrl: string;
  /**
   * The deployment's PBXs (id and name). With two or more, a PBX column follows the extension (the same
   * extension may exist on each); with one, the file is as it always was.
   */
  pbxes?: readonly { id: string; name: string }[];
}

function pbxNames(o: CallsCsvOptions): Map<string, string> | null {
  return o.pbxes && o.pbxes.length > 1 ? new Map(o.pbxes.map((p) => [p.id, p.name])) : null;
}

function headers(o: CallsCsvOptions, pbx: Map<string, string> | null): string[] {
  const h = [...CALLS_CSV_HEADERS[o.lang]];
  if (pbx) h.splice(4, 0, CALLS_CSV_PBX_HEADER[o.lang]);
  return h;
}

function line(c: CallView, o: CallsCsvOptions, pbx: Map<string, string> | null): string {
  const outcome = c.wrapup ? o.outcomes.find((x) => x.id === c.wrapup!.outcome)?.label[o.lang] ?? c.wrapup.outcome : null;
  return csvLine([
    localDateTime(o.timeZone, Date.parse(c.startedAt)), DIRECTIONS[o.lang][c.direction] ?? c.direction, c.externalNumber, c.extension,
    // A PBX no longer configured keeps its id (its calls stay in the log).
    ...(pbx ? [pbx.get(c.pbx) ?? c.pbx] : []),
    c.disposition ? CALLS_CSV_DISPOSITIONS[o.lang][c.disposition] ?? c.disposition : null, c.ringSeconds, c.talkSeconds,
    outcome, c.wrapup?.description ?? null,
    c.queue, c.queueWaitSeconds, c.queueOutcome ? CALLS_CSV_QUEUE_RESULTS[o.lang][c.queueOutcome] ?? c.queueOutcome : null,
    c.recording ? `${o.baseUrl}${c.recording.url}` : null, c.id,
  ]);
}

/**
 * The CSV as chunks. The first page is read before the first chunk is returned, so a bad filter or a
 * refused access throws here (a 400 or 403), not halfway through a 200.
 */
export async function callsCsv(ctx: QueryContext, filters: CallFilters, o: CallsCsvOptions): Promise<AsyncIterable<string>> {
  const f = { ...filters, limit: PAGE, cursor: undefined };
  const first = await listCalls(ctx, f);
  return (async function* chunks() {
    const pbx = pbxNames(o);
    yield CSV_BOM + csvLine(headers(o, pbx));
    let page = first;
    for (;;) {
      yield page.items.map((c) => line(c, o, pbx)).join('');
      if (!page.nextCursor) return;
      await new Promise((r) => setImmediate(r)); // let other requests and PBX events in between pages
      page = await listCalls(ctx, { ...f, cursor: page.nextCursor });
    }
  })();
}
