// The routing rules form's state and its two-way mapping to the rules JSON the service keeps
// (src/routing/rules.ts). Pure, no DOM: unit-tested for the round trip of every field.
//
// The form holds what the person typed (numbers as text), so a wrong value reaches the service as it is
// and comes back as a problem at its field's path: the rules are the service's alone, none are copied here.

/** The rules' shape as GET /api/v1/routing/rules returns it (defaults filled). */
export type Target = { extension: string } | { group: string[] } | { queue: string };
export interface Tier {
  name: string;
  minTurnover: number;
  target: Target;
}
export interface RoutingRules {
  priorManager: { enabled: boolean; windowDays: number; useOwner: boolean };
  managerRingSeconds: number;
  targetRingSeconds: number;
  currency: string;
  tiers: Tier[];
  defaultTarget: Target;
  deadlineMs: number;
  /**
   * Per PBX (several PBXs, by id): its own default target, tiers and DID targets over the rules above.
   * The form has no fields for it: it is carried through a save unchanged (edited in the JSON tab).
   */
  byPbx?: Record<string, PbxRules>;
}
export interface PbxRules {
  defaultTarget?: Target;
  tiers?: Tier[];
  dids?: Record<string, Target>;
}

/** One thing the service found wrong, at a field's path (`tiers.1.minTurnover`). */
export interface RulesProblem {
  path: string;
  code: string;
  severity: 'error' | 'warning';
  message: string;
  min?: number;
  max?: number;
  value?: string;
}

/** A phone a target can ring (GET /api/v1/routing/phones). */
export interface RoutingPhone {
  extension: string;
  name: string;
  role: string;
  /** The PBX the phone is on (several PBXs). */
  pbx?: string;
}

export type TargetKind = 'extension' | 'group' | 'queue';
/** All three kinds are kept, so switching the kind and back loses nothing typed. */
export interface TargetForm {
  kind: TargetKind;
  extension: string;
  group: string[];
  queue: string;
}
export interface TierForm {
  /** Stable across reordering, for the list's keys; not part of the rules. */
  key: string;
  name: string;
  minTurnover: string;
  target: TargetForm;
}
export interface RulesForm {
  priorEnabled: boolean;
  windowDays: string;
  useOwner: boolean;
  managerRingSeconds: string;
  targetRingSeconds: string;
  currency: string;
  tiers: TierForm[];
  defaultTarget: TargetForm;
  deadlineMs: string;
  /**
   * Keys the form has no field for: what the service keeps that the form does not edit (byPbx), and keys
   * typed in the JSON tab, kept so the service can name them. Saved as they are.
   */
  extra: Record<string, unknown>;
}

let keys = 0;
const newKey = () => `tier-${++keys}`;

function targetForm(t: Target): TargetForm {
  const f: TargetForm = { kind: 'extension', extension: '', group: [], queue: '' };
  if ('extension' in t) return { ...f, kind: 'extension', extension: t.extension };
  if ('group' in t) return { ...f, kind: 'group', group: [...t.group] };
  return { ...f, kind: 'queue', queue: t.queue };
}

const KNOWN = new Set(['priorManager', 'managerRingSeconds', 'targetRingSeconds', 'currency', 'tiers', 'defaultTarget', 'deadlineMs']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** What the rules hold beyond the form's fields (byPbx), to save again unchanged. */
const beyondForm = (r: object) => Object.fromEntries(Object.entries(r).filter(([k, v]) => !KNOWN.has(k) && v !== undefined));

export function fromRules(r: RoutingRules): RulesForm {
  return {
    priorEnabled: r.priorManager.enabled,
    windowDays: String(r.priorManager.windowDays),
    useOwner: r.priorManager.useOwner,
    managerRingSeconds: String(r.managerRingSeconds),
    targetRingSeconds: String(r.targetRingSeconds),
    currency: r.currency,
    tiers: r.tiers.map((t) => ({ key: newKey(), name: t.name, minTurnover: String(t.minTurnover), target: targetForm(t.target) })),
    defaultTarget: targetForm(r.defaultTarget),
    deadlineMs: String(r.deadlineMs),
    extra: beyondForm(r),
  };
}

const text = (v: unknown, base: string) => (v === undefined ? base : typeof v === 'string' ? v : JSON.stringify(v));

function targetFromJson(v: unknown, base: TargetForm): TargetForm {
  if (!isObject(v)) return base;
  if ('group' in v) return { ...base, kind: 'group', group: Array.isArray(v['group']) ? v['group'].map((e) => text(e, '')) : [] };
  if ('queue' in v) return { ...base, kind: 'queue', queue: text(v['queue'], '') };
  return { ...base, kind: 'extension', extension: text(v['extension'], '') };
}

/**
 * The form for JSON the service may refuse (typed in the JSON tab), so the form shows each problem at its
 * field: what the JSON says, as typed; what it leaves out stays as in `base`. Null when it is no object.
 */
export function formFromJson(json: unknown, base: RulesForm): RulesForm | null {
  if (!isObject(json)) return null;
  const pm = isObject(json['priorManager']) ? json['priorManager'] : {};
  const empty: TargetForm = { kind: 'extension', extension: '', group: [], queue: '' };
  const tiers = Array.isArray(json['tiers']) ? json['tiers'].map((t, i): TierForm => {
    const o = isObject(t) ? t : {};
    const was = base.tiers[i];
    return { key: was?.key ?? newKey(), name: text(o['name'], ''), minTurnover: text(o['minTurnover'], ''), target: targetFromJson(o['target'], was?.target ?? empty) };
  }) : base.tiers;
  return {
    priorEnabled: typeof pm['enabled'] === 'boolean' ? pm['enabled'] : base.priorEnabled,
    windowDays: text(pm['windowDays'], base.windowDays),
    useOwner: typeof pm['useOwner'] === 'boolean' ? pm['useOwner'] : base.useOwner,
    managerRingSeconds: text(json['managerRingSeconds'], base.managerRingSeconds),
    targetRingSeconds: text(json['targetRingSeconds'], base.targetRingSeconds),
    currency: text(json['currency'], base.currency),
    tiers,
    defaultTarget: targetFromJson(json['defaultTarget'], base.defaultTarget),
    deadlineMs: text(json['deadlineMs'], base.deadlineMs),
    extra: beyondForm(json),
  };
}

/**
 * A number as people type it: "1 000 000", "1000000,50". Anything else goes to the service as typed,
 * which says at the field that a number is needed; an empty field goes as null (the same).
 */
export function typedNumber(s: string): number | string | null {
  const v = s.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.');
  if (v === '') return null;
  const n = Number(v);
  return /^-?[0-9]+(\.[0-9]+)?$/.test(v) && Number.isFinite(n) ? n : s;
}

function toTarget(f: TargetForm): Target {
  if (f.kind === 'extension') return { extension: f.extension.trim() };
  if (f.kind === 'group') return { group: f.group.map((e) => e.trim()) };
  return { queue: f.queue.trim() };
}

/** The rules JSON the form says (maybe invalid: the service checks it). */
export function toRules(f: RulesForm): RoutingRules {
  // The typed values (a string where a number should be) go as typed; the cast is for the shape.
  const n = (s: string) => typedNumber(s) as number;
  return {
    priorManager: { enabled: f.priorEnabled, windowDays: n(f.windowDays), useOwner: f.useOwner },
    managerRingSeconds: n(f.managerRingSeconds),
    targetRingSeconds: n(f.targetRingSeconds),
    currency: f.currency,
    tiers: f.tiers.map((t) => ({ name: t.name.trim(), minTurnover: n(t.minTurnover), target: toTarget(t.target) })),
    defaultTarget: toTarget(f.defaultTarget),
    deadlineMs: n(f.deadlineMs),
    ...f.extra,
  };
}

/** A new tier at the end: above the last one's threshold, with a name no other tier has. */
export function addTier(f: RulesForm): RulesForm {
  const names = new Set(f.tiers.map((t) => t.name));
  let i = f.tiers.length + 1;
  while (names.has(`tier${i}`)) i++;
  const last = f.tiers[f.tiers.length - 1];
  const lastFrom = last ? typedNumber(last.minTurnover) : null;
  const from = typeof lastFrom === 'number' ? String(lastFrom * 10 || 100_000) : '0';
  const target: TargetForm = { kind: 'extension', extension: '', group: [], queue: '' };
  return { ...f, tiers: [...f.tiers, { key: newKey(), name: `tier${i}`, minTurnover: from, target }] };
}

export function removeTier(f: RulesForm, index: number): RulesForm {
  return { ...f, tiers: f.tiers.filter((_, i) => i !== index) };
}

/** Moves tier `index` one place up (-1) or down (+1); out of range changes nothing. */
export function moveTier(f: RulesForm, index: number, by: -1 | 1): RulesForm {
  const to = index + by;
  if (index < 0 || index >= f.tiers.length || to < 0 || to >= f.tiers.length) return f;
  const tiers = [...f.tiers];
  [tiers[index], tiers[to]] = [tiers[to]!, tiers[index]!];
  return { ...f, tiers };
}

/**
 * Problems moved with the tiers they belong to, when the form's tiers were reordered or removed since the
 * check: `tiers.2.x` follows tier 2's key. Problems of a tier no longer there are dropped.
 */
export function problemsFor(problems: RulesProblem[], checkedKeys: string[], form: RulesForm): RulesProblem[] {
  const now = new Map(form.tiers.map((t, i) => [t.key, i]));
  return problems.flatMap((p) => {
    const m = /^tiers\.(\d+)(\..*)?$/.exec(p.path);
    if (!m) return [p];
    const key = checkedKeys[Number(m[1])];
    const i = key === undefined ? undefined : now.get(key);
    return i === undefined ? [] : [{ ...p, path: `tiers.${i}${m[2] ?? ''}` }];
  });
}

/** Every path the form shows a field for: problems elsewhere (an unknown key) are listed above the form. */
export function formPaths(f: RulesForm): Set<string> {
  const target = (at: string, t: TargetForm) => [at, `${at}.extension`, `${at}.queue`, `${at}.group`, ...t.group.map((_, i) => `${at}.group.${i}`)];
  return new Set([
    'priorManager', 'priorManager.enabled', 'priorManager.windowDays', 'priorManager.useOwner', 'managerRingSeconds', 'targetRingSeconds',
    'currency', 'tiers', 'deadlineMs', ...target('defaultTarget', f.defaultTarget),
    ...f.tiers.flatMap((t, i) => [`tiers.${i}`, `tiers.${i}.name`, `tiers.${i}.minTurnover`, `tiers.${i}.target`, ...target(`tiers.${i}.target`, t.target)]),
  ]);
}
