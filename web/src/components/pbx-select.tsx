// The PBX selector of the calls list, the reports and the live board: shown only with two or more PBXs.
// `all` adds "all PBXs" (value ''), the default of the calls list and the reports; the live board shows
// one PBX's board at a time, so it has no such choice.
import { t } from '../i18n.js';
import { severalPbxs, type PbxItem } from '../pbxes.js';

export function PbxSelect({ list, value, onChange, all, testid = 'filter-pbx' }: {
  list: readonly PbxItem[]; value: string; onChange: (id: string) => void; all: boolean; testid?: string;
}) {
  if (!severalPbxs(list)) return null;
  return (
    <label class="pbx-select">
      {t('pbx')}
      <select data-testid={testid} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {all && <option value="">{t('pbxAll')}</option>}
        {list.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
      </select>
    </label>
  );
}
