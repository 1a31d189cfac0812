// Small formatting helpers shared by the admin screens (pure).

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase();
}

export function staffName(s: { first_name: string; last_name: string; display_name?: string } | undefined | null): string {
  if (!s) return 'someone';
  return `${s.first_name} ${s.last_name}`.trim() || s.display_name || 'someone';
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function clock(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** "2 min 5 s", "45 s", "1 h 3 min". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  return `${duration(now - new Date(iso).getTime())} ago`;
}

export const RULE_LABEL: Record<string, string> = {
  alternative: 'Alternative',
  percentage: 'Percentage',
  time: 'Time',
};

export const STATUS_LABEL: Record<string, string> = {
  active: 'Active',
  suspended: 'Suspended',
  disconnected: 'Disconnected',
};

export const PERMISSION_LABEL: Record<string, string> = {
  pages_messaging: 'Manage and access Page conversations in Messenger',
  pages_show_list: 'Show a list of the Pages you manage',
  pages_read_engagement: 'Read content posted on the Page',
  pages_manage_metadata: 'Manage accounts, settings, and webhooks for a Page',
};

/** Splits 100 into `n` whole parts, the remainder going to the first ones. */
export function evenSplit(n: number): number[] {
  if (n <= 0) return [];
  const base = Math.floor(100 / n);
  const rest = 100 - base * n;
  return Array.from({ length: n }, (_, i) => base + (i < rest ? 1 : 0));
}

/** Moves item `from` to index `to` (a new array). */
export function moved<T>(list: T[], from: number, to: number): T[] {
  const out = list.slice();
  const [item] = out.splice(from, 1);
  if (item === undefined) return list;
  out.splice(Math.max(0, Math.min(to, out.length)), 0, item);
  return out;
}

/** The message of a 422 whose field is `field` or lies under it (`routing.destinations[1]` covers `…[1].percentage`). */
export function fieldError(error: { field: string; message: string } | null, field: string, exact = false): string | null {
  if (!error) return null;
  if (error.field === field) return error.message;
  if (!exact && (error.field.startsWith(field + '.') || error.field.startsWith(field + '['))) return error.message;
  return null;
}

/** `09:00-17:00` → ['09:00', '17:00']. */
export function splitRange(range: string): [string, string] {
  const [a, b] = range.split(/\s*[-–]\s*/);
  return [a ?? '', b ?? ''];
}

/** A 422's rule without the field name the server puts in front ("name: must be …" → "must be …"). */
export function ruleOf(e: { field: string | null; message: string }): string {
  const f = e.field;
  return f && e.message.startsWith(`${f}: `) ? e.message.slice(f.length + 2) : e.message;
}

/** Orders two RFC 3339 times as times (the server trims trailing zeros of fractions, so strings do not sort). */
export function byTime(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b);
}
