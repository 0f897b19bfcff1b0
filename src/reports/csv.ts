// The calls report as a CSV table (see src/lib/csv.ts for the Excel conventions): one line per row,
// then the totals and the previous period's totals. Headers in the user's language (ru or en).
import type { Outcome } from '../tasks/outcomes.js';
import { CSV_BOM, csvLine, type CsvValue } from '../lib/csv.js';
import type { BandedMetric } from './kpi.js';
import type { CallReport } from './report.js';
import { localDateTime } from '../lib/timezone.js';

export type { Language } from '../users/users.js';
import type { Language } from '../users/users.js';

const METRIC_HEADERS: Record<BandedMetric, { ru: string; en: string }> = {
  calls: { ru: 'Всего звонков', en: 'Calls' },
  callsIn: { ru: 'Входящие', en: 'Inbound' },
  callsOut: { ru: 'Исходящие', en: 'Outbound' },
  callsInternal: { ru: 'Внутренние', en: 'Internal' },
  answered: { ru: 'Отвечено', en: 'Answered' },
  missed: { ru: 'Пропущено', en: 'Missed' },
  answerRate: { ru: 'Доля отвеченных', en: 'Answer rate' },
  talkSeconds: { ru: 'Время разговоров, с', en: 'Talk time, s' },
  avgTalkSeconds: { ru: 'Средний разговор, с', en: 'Average talk, s' },
  avgRingSeconds: { ru: 'Среднее ожидание ответа, с', en: 'Average ring before answer, s' },
  longestCallSeconds: { ru: 'Самый долгий разговор, с', en: 'Longest call, s' },
  callbacksDue: { ru: 'Перезвоны', en: 'Callbacks due' },
  callbacksOnTime: { ru: 'Перезвоны в срок', en: 'Callbacks on time' },
};
const WORDS = {
  extension: { ru: 'Добавочный', en: 'Extension' },
  manager: { ru: 'Менеджер', en: 'Manager' },
  period: { ru: 'Период', en: 'Period' },
  start: { ru: 'Начало периода', en: 'Period start' },
  total: { ru: 'Итого', en: 'Total' },
  previous: { ru: 'Предыдущий период', en: 'Previous period' },
};

export function reportCsv(r: CallReport, lang: Language, outcomes: readonly Outcome[]): string {
  const metrics = Object.keys(METRIC_HEADERS) as BandedMetric[];
  // Configured outcomes first, then any id found in old wrap-ups but no longer configured.
  const ids = [...outcomes.map((o) => o.id)];
  for (const row of [...r.rows, r.totals, r.previous]) for (const k of Object.keys(row.outcomes)) if (!ids.includes(k)) ids.push(k);
  const label = (id: string) => outcomes.find((o) => o.id === id)?.label[lang] ?? id;
  let out = CSV_BOM + csvLine([
    WORDS.extension[lang], WORDS.manager[lang], WORDS.period[lang], WORDS.start[lang],
    ...metrics.map((m) => METRIC_HEADERS[m][lang]), ...ids.map(label),
  ]);
  const line = (head: CsvValue[], m: CallReport['totals']['metrics'], o: Record<string, number>) =>
    csvLine([...head, ...metrics.map((k) => m[k].value), ...ids.map((id) => o[id] ?? 0)]);
  for (const row of r.rows) {
    out += line([row.extension, row.managerName, row.period, row.periodStart ? localDateTime(r.timeZone, Date.parse(row.periodStart)) : null], row.metrics, row.outcomes);
  }
  out += line([WORDS.total[lang], null, null, localDateTime(r.timeZone, Date.parse(r.from))], r.totals.metrics, r.totals.outcomes);
  out += line([WORDS.previous[lang], null, null, localDateTime(r.timeZone, Date.parse(r.previous.from))], r.previous.metrics, r.previous.outcomes);
  return out;
}
