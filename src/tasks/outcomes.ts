// Wrap-up outcomes: a configurable list (CTI_WRAPUP_OUTCOMES_FILE, JSON) of ids with Russian and
// English labels. The shipped config/wrapup-outcomes.json holds the defaults below; without the file
// these apply. A bad file stops the service with a message naming it (read once at start).
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

export interface Outcome {
  id: string;
  label: { ru: string; en: string };
}

export const DEFAULT_OUTCOMES: readonly Outcome[] = Object.freeze([
  { id: 'sale', label: { ru: 'Продажа', en: 'Sale' } },
  { id: 'quote_sent', label: { ru: 'Отправлено предложение', en: 'Quote sent' } },
  { id: 'consultation', label: { ru: 'Консультация', en: 'Consultation' } },
  { id: 'callback_requested', label: { ru: 'Просил перезвонить', en: 'Callback requested' } },
  { id: 'complaint', label: { ru: 'Жалоба', en: 'Complaint' } },
  { id: 'not_interested', label: { ru: 'Не заинтересован', en: 'Not interested' } },
  { id: 'wrong_number', label: { ru: 'Ошибся номером', en: 'Wrong number' } },
]);

const schema = z.array(z.object({
  id: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'ids are 1 to 64 of a-z, 0-9, _ and -'),
  label: z.object({ ru: z.string().min(1).max(200), en: z.string().min(1).max(200) }),
})).min(1).refine((xs) => new Set(xs.map((x) => x.id)).size === xs.length, 'ids must be unique');

export function loadOutcomes(file: string): readonly Outcome[] {
  if (!existsSync(file)) return DEFAULT_OUTCOMES;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`CTI_WRAPUP_OUTCOMES_FILE (${file}): not JSON: ${(err as Error).message}`);
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`CTI_WRAPUP_OUTCOMES_FILE (${file}): ${i.path.join('/') || 'list'}: ${i.message}`);
  }
  return Object.freeze(r.data);
}
