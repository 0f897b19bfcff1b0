// "Export CSV" for a table or a call list: a plain link to the API's ?format=csv with the same filters
// (the session cookie goes with it; the service sends UTF-8 with a BOM and ';', which Excel opens as is).
import { t } from '../i18n.js';

/** A query string without the empty filters (the API refuses `direction=`). */
export function queryString(q: Record<string, string | number | null | undefined>): string {
  return new URLSearchParams(
    Object.entries(q).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== null && e[1] !== '').map(([k, v]) => [k, String(v)]),
  ).toString();
}

export function CsvLink({ path, query, filename, testid }: {
  path: string; query: Record<string, string | number | null | undefined>; filename: string; testid: string;
}) {
  return (
    <a role="button" class="secondary outline small" data-testid={testid} href={`${path}?${queryString({ ...query, format: 'csv' })}`} download={filename}>
      {t('exportCsv')}
    </a>
  );
}
