// The pure half of the live connection: reconnect backoff, frame parsing and
// de-duplication by sequence number. Tested in live-core.test.ts; the socket
// itself is in live.svelte.ts.

/** A server frame: an event, or `ready` after the replay of missed events. */
export type Frame =
  | { type: 'ready'; seq: number }
  | { type: string; seq: number; at: string; data: unknown };

/** Delay before reconnect attempt `attempt` (0 = first retry): 0.5 s doubling
 *  up to 15 s, with "equal jitter" (half fixed, half random) so a server
 *  restart is not met by every browser at the same instant. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = 500;
  const cap = 15_000;
  const exp = Math.min(cap, base * 2 ** Math.max(0, Math.min(attempt, 10)));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Parses one text frame; null for anything that is not a frame we know. */
export function parseFrame(text: string): Frame | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (typeof v.type !== 'string' || typeof v.seq !== 'number') return null;
  if (v.type === 'ready') return { type: 'ready', seq: v.seq };
  return { type: v.type, seq: v.seq, at: typeof v.at === 'string' ? v.at : '', data: v.data ?? {} };
}

/** Remembers the last sequence number handled; an event at or below it was
 *  already handled (a replay overlapping what the old socket delivered). */
export class SeqGate {
  last: number | null = null;

  /** True when `seq` is new (and records it). */
  admit(seq: number): boolean {
    if (this.last !== null && seq <= this.last) return false;
    this.last = seq;
    return true;
  }

  /** The `ready` frame: the server has sent everything up to `seq`. */
  ready(seq: number): void {
    if (this.last === null || seq > this.last) this.last = seq;
  }
}

/** The URL of the event socket, resuming after `after` when known. */
export function eventsUrl(loc: { protocol: string; host: string }, after: number | null): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  const query = after === null ? '' : `?after=${after}`;
  return `${scheme}://${loc.host}/api/v1/events${query}`;
}

/** The close code the server uses when the socket's access has ended (logout
 *  elsewhere, a session ended by a password change, staff removed or role
 *  changed, token revoked): reconnecting cannot help, the user must log in. */
export const ACCESS_ENDED = 4401;

/** What to do after a socket closed: `end-session` (back to the login page),
 *  `check-session` (reconnect, but first ask GET /api/v1/me, whose 401 ends
 *  the session: a refused handshake may be a session that ended) or
 *  `reconnect`. `opened`: the socket had opened; `failures`: consecutive
 *  attempts that never opened, this one included. */
export type CloseAction = 'end-session' | 'check-session' | 'reconnect';

export function afterClose(close: { code: number; opened: boolean }, failures: number): CloseAction {
  if (close.code === ACCESS_ENDED) return 'end-session';
  if (close.opened) return 'reconnect';
  // Refused before opening (an HTTP 401 shows up as a plain 1006): ask at the
  // first refusal, then every third, so a server that is down is not also
  // asked for /me on every attempt.
  return failures === 1 || failures % 3 === 0 ? 'check-session' : 'reconnect';
}
