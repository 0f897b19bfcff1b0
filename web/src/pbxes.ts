// The PBXs of this deployment (GET /api/v1/pbxes: main first), fetched once per page load. With one PBX
// the pages say nothing of PBXs; with two or more the calls list, the reports and the live board get a
// selector, calls show their PBX by name and the users page which PBX a user's extension is on.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';

export interface PbxItem {
  id: string;
  name: string;
}

/** The PBX the CTI_AMI_* variables describe (src/pbx/pbx-id.ts). */
export const MAIN_PBX = 'main';

let cached: Promise<PbxItem[]> | null = null;

export function pbxes(): Promise<PbxItem[]> {
  cached ??= api.get<PbxItem[]>('/api/v1/pbxes').catch(() => {
    cached = null;
    return [];
  });
  return cached;
}

/** The deployment's PBXs; empty until they are known (and on an error: the pages then show no PBX). */
export function usePbxes(): PbxItem[] {
  const [list, setList] = useState<PbxItem[]>([]);
  useEffect(() => {
    let live = true;
    void pbxes().then((l) => { if (live) setList(l); });
    return () => { live = false; };
  }, []);
  return list;
}

/** Several PBXs: only then is a PBX worth a word on the page. */
export const severalPbxs = (list: readonly PbxItem[]) => list.length >= 2;

/** A PBX's name by its id (the id itself for one no longer configured). */
export function pbxName(list: readonly PbxItem[], id: string | null | undefined): string {
  if (!id) return '';
  return list.find((p) => p.id === id)?.name ?? id;
}

/**
 * A person with their extension, "Анна (101)"; with several PBXs the extension names a phone only with
 * its PBX: "Анна (101 · Казань)". Without an extension, the name alone.
 */
export function personLabel(list: readonly PbxItem[], p: { name: string; extension: string | null | undefined; pbx?: string | null }): string {
  if (!p.extension) return p.name;
  return `${p.name} (${severalPbxs(list) && p.pbx ? `${p.extension} · ${pbxName(list, p.pbx)}` : p.extension})`;
}

/**
 * The PBX last chosen on each page, kept while the page is open: switching the language (which draws
 * the pages anew) or going to another page and back keeps it, as the report keeps its period.
 */
const chosen: Record<'calls' | 'reports' | 'live', string> = { calls: '', reports: '', live: MAIN_PBX };

export function usePbxChoice(page: keyof typeof chosen): [string, (id: string) => void] {
  const [value, setValue] = useState(chosen[page]);
  return [value, (id: string) => {
    chosen[page] = id;
    setValue(id);
  }];
}
