// The managers (and anyone with an extension) by name, GET /api/v1/managers: the calls list's manager
// filter and a client's owner. Only supervisors and admins may read the list; for others it is empty.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import type { Manager } from './types.js';

let cached: Promise<Manager[]> | null = null;

export function useManagers(enabled: boolean): Manager[] {
  const [list, setList] = useState<Manager[]>([]);
  useEffect(() => {
    if (!enabled) return;
    cached ??= api.get<{ items: Manager[] }>('/api/v1/managers').then((r) => r.items).catch(() => {
      cached = null;
      return [];
    });
    void cached.then(setList);
  }, [enabled]);
  return list;
}
