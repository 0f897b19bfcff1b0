// The queue report as a CSV table (Excel conventions: src/lib/csv.ts): one line per queue, then the
// totals. Headers in the user's language; shares in per cent, times in seconds, as the page shows them.
import { CSV_BOM, csvLine } from '../lib/csv.js';
import type { Language } from '../users/users.js';
import type { QueueReport, QueueStats } from './queues.js';
import { localDateTime } from '../lib/timezone.js';

export const QUEUE_CSV_HEADERS: Record<Language, string[]> = {
  ru: ['Очередь', 'Начало периода', 'Конец периода', 'Норматив ответа, с', 'Поступило', 'Отвечено', 'Брошено', 'Ушло по тайм-ауту',
    'Отвечено в нормативе', 'Уровень сервиса, %', 'Доля брошенных, %', 'Среднее ожидание, с', 'Самое долгое ожидание, с'],
  en: ['Queue', 'Period start', 'Period end', 'Service level, s', 'Offered', 'Answered', 'Abandoned', 'Timed out',
    'Answered within service level', 'Service level, %', 'Abandoned, %', 'Average wait, s', 'Longest wait, s'],
};
const TOTAL: Record<Language, string> = { ru: 'Итого', en: 'Total' };

const pct = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 10);

export function queueReportCsv(r: QueueReport, lang: Language): string {
  const start = localDateTime(r.timeZone, Date.parse(r.from));
  const end = localDateTime(r.timeZone, Date.parse(r.to));
  const cells = (s: QueueStats) => [s.offered, s.answered, s.abandoned, s.timeout, s.answeredWithinSl, pct(s.serviceLevel), pct(s.abandonRate),
    s.avgWaitSeconds, s.longestWaitSeconds];
  let out = CSV_BOM + csvLine(QUEUE_CSV_HEADERS[lang]);
  for (const row of r.rows) out += csvLine([row.queue, start, end, row.serviceLevelSeconds, ...cells(row)]);
  out += csvLine([TOTAL[lang], start, end, null, ...cells(r.totals)]);
  return out;
}
