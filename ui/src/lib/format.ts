// Small pure formatting rules the console shows everywhere: times, durations,
// sizes, the text of a reply as it will be sent, safe links. No DOM, no I/O:
// tested in format.test.ts.

/** Most characters in one outgoing Messenger text, counted as sent. */
export const MAX_MESSAGE_CHARS = 2000;
/** Largest file a staff member may send (25 MB). */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;

export type DisplayNameFormat = 'none' | 'first_name' | 'display_name';

/** How many characters a string has the way the server counts them (Unicode
 *  scalar values, so an emoji counts once, not as two UTF-16 units). */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The reply exactly as the visitor receives it (the server's
 *  `compose_outgoing_text`): `Ann: hello` with a name format, `hello` with
 *  `none`; a blank name leaves the text unprefixed. */
export function composeOutgoing(
  format: DisplayNameFormat | string | null | undefined,
  staff: { first_name: string; display_name: string },
  text: string,
): string {
  const name =
    format === 'first_name' ? staff.first_name.trim() : format === 'display_name' ? staff.display_name.trim() : '';
  return name ? `${name}: ${text}` : text;
}

/** The display-name prefix of a reply (`"Ann: "`), or `""`. */
export function outgoingPrefix(
  format: DisplayNameFormat | string | null | undefined,
  staff: { first_name: string; display_name: string },
): string {
  return composeOutgoing(format, staff, '');
}

/** Length as sent and whether it fits. */
export function measureReply(
  format: DisplayNameFormat | string | null | undefined,
  staff: { first_name: string; display_name: string },
  text: string,
): { length: number; limit: number; over: boolean; empty: boolean } {
  const length = charCount(composeOutgoing(format, staff, text));
  return { length, limit: MAX_MESSAGE_CHARS, over: length > MAX_MESSAGE_CHARS, empty: text.trim() === '' };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A short clock time: `14:03` today, `Mon 14:03` within the week, `2 Dec 14:03` before, with the year when not this year. */
export function formatTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const sameDay = d.toDateString() === now.toDateString();
  if (sameDay) return clock;
  const days = (now.getTime() - d.getTime()) / 86_400_000;
  if (days >= 0 && days < 6) return `${WEEKDAYS[d.getDay()]} ${clock}`;
  const date = `${d.getDate()} ${MONTHS[d.getMonth()]}`;
  return d.getFullYear() === now.getFullYear() ? `${date} ${clock}` : `${date} ${d.getFullYear()} ${clock}`;
}

/** A full timestamp for tooltips: `Wed 2 Dec 2026, 14:03:09`. */
export function formatFullTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${WEEKDAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}, ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Day separator label: `Today`, `Yesterday`, `Mon 30 Nov`. */
export function formatDay(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (d.toDateString() === now.toDateString()) return 'Today';
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (d.toDateString() === y.toDateString()) return 'Yesterday';
  const base = `${WEEKDAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]}`;
  return d.getFullYear() === now.getFullYear() ? base : `${base} ${d.getFullYear()}`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A compact duration: `45s`, `12m`, `3h 05m`, `2d 4h`. Negative counts as 0. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad(m % 60)}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

/** A countdown to a deadline: `0:27`, `1:05`; `0:00` when past. */
export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

/** The messaging window as a state: how long is left and how urgent it is. */
export function windowState(
  endsAt: string | null | undefined,
  now: number = Date.now(),
): { lapsed: boolean; urgent: boolean; left: string; ms: number } | null {
  if (!endsAt) return null;
  const end = Date.parse(endsAt);
  if (Number.isNaN(end)) return null;
  const ms = end - now;
  return { lapsed: ms <= 0, urgent: ms > 0 && ms < 2 * 3_600_000, left: formatDuration(ms), ms };
}

/** `1.4 MB`, `820 KB`, `12 B`. */
export function formatBytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** The URL when it is http(s), else null: only such links are ever made clickable. */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

export type TextPart = { text: string; href?: string };

/** Splits text into plain parts and http(s) links (rendered as text and
 *  `<a href>` by the caller; never as markup). Trailing punctuation stays
 *  outside the link. */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  const re = /\bhttps?:\/\/[^\s<>"']+/gi;
  let last = 0;
  for (const m of text.matchAll(re)) {
    let url = m[0];
    const trail = /[.,;:!?)\]}]+$/.exec(url);
    if (trail) url = url.slice(0, -trail[0].length);
    const href = safeHttpUrl(url);
    const start = m.index ?? 0;
    if (!href) continue;
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: url, href });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/** One or two initials for an avatar placeholder. */
export function initials(name: string | null | undefined): string {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...words[0]!][0] ?? '';
  const last = words.length > 1 ? ([...words[words.length - 1]!][0] ?? '') : '';
  return (first + last).toUpperCase();
}

/** The tab title with the unread total: `(3) My chats · omnidesk`. */
export function tabTitle(title: string, unread: number): string {
  return unread > 0 ? `(${unread}) ${title} · omnidesk` : `${title} · omnidesk`;
}
