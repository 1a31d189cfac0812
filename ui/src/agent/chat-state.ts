// Pure reducers of the agent console: live events and API answers into the
// chat list, the offers and a conversation's messages. No I/O; tested in
// chat-state.test.ts.
import type { Message } from '../lib/live-events';

export const DAY_MS = 86_400_000;

/** An RFC 3339 time as milliseconds (the server trims trailing zeros of the
 *  fraction, so `…46.6Z` and `…46.599Z` must not be compared as strings). */
export function ms(iso: string | null | undefined): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? 0 : t;
}
export const HUMAN_AGENT_MS = 7 * DAY_MS;

/** One chat of "My chats". */
export interface ChatItem {
  id: string;
  channel_id: string;
  visitor_id: string;
  visitor_name: string;
  picture_url: string | null;
  channel_name: string | null;
  opened_at: string;
  last_inbound_at: string;
  window_ends_at: string | null;
  unread: number;
  /** Preview of the newest message, and who wrote it. */
  last_text: string | null;
  last_from: 'visitor' | 'us' | null;
  /** The newest activity (for ordering). */
  last_at: string;
  /** New activity since the agent last looked at it. */
  fresh: boolean;
  /** The channel allows the Human Agent tag (7-day window), when the server says. */
  human_agent_tag: boolean | null;
}

type Loose = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** A `GET /me/enquiries` item into a chat, reading the richer fields
 *  (picture, channel name, last message) when the server sends them. */
export function chatFromApi(raw: Loose, previous?: ChatItem): ChatItem {
  const visitor = (raw.visitor ?? {}) as Loose;
  const last = (raw.last_message ?? null) as Loose | null;
  const lastText = last ? previewOf(last as Partial<Message>) : str(raw.last_message_text) ?? str(raw.last_message_preview);
  const lastAt =
    (last && str(last.sent_at)) ?? str(raw.last_message_at) ?? previous?.last_at ?? str(raw.last_inbound_at) ?? str(raw.opened_at) ?? '';
  return {
    id: String(raw.id),
    channel_id: String(raw.channel_id),
    visitor_id: String(raw.visitor_id),
    visitor_name: str(raw.visitor_name) ?? str(visitor.name) ?? previous?.visitor_name ?? 'Unknown',
    picture_url:
      str(raw.visitor_picture_url) ?? str(raw.picture_url) ?? str(visitor.picture_url) ?? previous?.picture_url ?? null,
    channel_name: str(raw.channel_name) ?? previous?.channel_name ?? null,
    opened_at: String(raw.opened_at),
    last_inbound_at: String(raw.last_inbound_at),
    window_ends_at: str(raw.window_ends_at),
    unread: num(raw.unread_count),
    last_text: lastText ?? previous?.last_text ?? null,
    last_from: last
      ? last.direction === 'inbound'
        ? 'visitor'
        : 'us'
      : (previous?.last_from ?? (num(raw.unread_count) > 0 ? 'visitor' : null)),
    last_at: lastAt,
    fresh: previous?.fresh ?? false,
    human_agent_tag: typeof raw.human_agent_tag === 'boolean' ? raw.human_agent_tag : (previous?.human_agent_tag ?? null),
  };
}

/** Newest activity first. */
export function sortChats(chats: ChatItem[]): ChatItem[] {
  return [...chats].sort((a, b) => ms(b.last_at) - ms(a.last_at) || (a.id < b.id ? -1 : 1));
}

/** A message arrived (or was sent) in one of my chats: preview, unread count,
 *  window and order follow. `viewing`: the agent has this chat open and the tab visible. */
export function chatsWithMessage(chats: ChatItem[], message: Message, viewing: boolean, windowMs = DAY_MS): ChatItem[] {
  const i = chats.findIndex((c) => c.id === message.enquiry_id);
  if (i < 0) return chats;
  const chat = chats[i]!;
  const fromVisitor = message.direction === 'inbound' && message.author === 'visitor';
  const next: ChatItem = {
    ...chat,
    last_text: previewOf(message) ?? chat.last_text,
    last_from: message.direction === 'inbound' ? 'visitor' : 'us',
    last_at: ms(message.sent_at) > ms(chat.last_at) ? message.sent_at : chat.last_at,
  };
  if (fromVisitor) {
    next.unread = viewing ? 0 : chat.unread + 1;
    next.fresh = !viewing;
    if (ms(message.sent_at) > ms(chat.last_inbound_at)) {
      // The window restarts from the visitor's message: 24 hours, or 7 days with the Human Agent tag.
      next.last_inbound_at = message.sent_at;
      next.window_ends_at = new Date(Date.parse(message.sent_at) + windowMs).toISOString();
    }
  }
  const out = [...chats];
  out[i] = next;
  return sortChats(out);
}

/** The agent looked at the chat. */
export function chatsRead(chats: ChatItem[], id: string): ChatItem[] {
  if (!chats.some((c) => c.id === id && (c.unread || c.fresh))) return chats;
  return chats.map((c) => (c.id === id ? { ...c, unread: 0, fresh: false } : c));
}

/** The newest message of a chat as loaded (fills a preview the list item lacks). */
export function chatsWithPreview(chats: ChatItem[], id: string, newest: Message): ChatItem[] {
  const chat = chats.find((c) => c.id === id);
  if (!chat || (chat.last_text && ms(chat.last_at) >= ms(newest.sent_at))) return chats;
  return chats.map((c) =>
    c.id === id
      ? {
          ...c,
          last_text: previewOf(newest) ?? c.last_text,
          last_from: newest.direction === 'inbound' ? 'visitor' : 'us',
          last_at: ms(newest.sent_at) > ms(c.last_at) ? newest.sent_at : c.last_at,
        }
      : c,
  );
}

export function unreadTotal(chats: ChatItem[]): number {
  return chats.reduce((n, c) => n + c.unread, 0);
}

/** One line saying what a message is, for lists and notifications. */
export function previewOf(m: Partial<Message>): string | null {
  const text = typeof m.text === 'string' ? m.text.trim() : '';
  if (m.kind === 'sticker') return 'Sticker';
  if (text) return text.length > 140 ? text.slice(0, 140) + '…' : text;
  const first = m.attachments?.[0];
  if (first) {
    const label = first.file_name || ATTACHMENT_LABELS[first.kind] || 'File';
    const more = (m.attachments?.length ?? 1) > 1 ? ` +${(m.attachments?.length ?? 1) - 1}` : '';
    return `${label}${more}`;
  }
  if (m.kind === 'postback') return 'Tapped a button';
  if (m.kind === 'referral') return 'Came from a link or ad';
  if (m.kind === 'optin') return 'Opted in';
  return null;
}

const ATTACHMENT_LABELS: Record<string, string> = {
  image: 'Photo',
  video: 'Video',
  audio: 'Voice message',
  file: 'File',
  sticker: 'Sticker',
  fallback: 'Link',
  location: 'Location',
};

/** A message from any source (API answer, event) with every list present. */
export function normalizeMessage(m: Partial<Message> & { id: string }): Message {
  return {
    attachments: [],
    reactions: [],
    edits: [],
    standby: false,
    author: 'staff',
    direction: 'outbound',
    kind: 'text',
    status: 'queued',
    channel_id: '',
    visitor_id: '',
    sent_at: new Date().toISOString(),
    ...m,
  } as Message;
}

function byTime(a: Message, b: Message): number {
  return ms(a.sent_at) - ms(b.sent_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const STATUS_RANK: Record<string, number> = { received: 0, queued: 1, sending: 2, sent: 3, delivered: 4, read: 5, failed: 6 };

/** One message seen twice: the newer fields win, but a status never goes
 *  back (the reply's 201 "queued" can arrive after the outbox's "failed"). */
function mergeOne(old: Message, next: Message): Message {
  const merged = { ...old, ...next };
  if ((STATUS_RANK[old.status] ?? 0) > (STATUS_RANK[next.status] ?? 0)) {
    merged.status = old.status;
    merged.failure_reason = old.failure_reason ?? null;
    merged.delivered_at = old.delivered_at ?? next.delivered_at ?? null;
    merged.read_at = old.read_at ?? next.read_at ?? null;
  }
  return merged;
}

/** Messages in conversation order, each once: `incoming` replace the same ids. */
export function mergeMessages(list: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return list;
  // The common case: one new message after the newest.
  if (incoming.length === 1) {
    const m = incoming[0]!;
    const at = list.findIndex((x) => x.id === m.id);
    if (at >= 0) {
      const out = [...list];
      out[at] = mergeOne(list[at]!, m);
      return out;
    }
    const last = list[list.length - 1];
    if (!last || byTime(last, m) <= 0) return [...list, m];
  }
  const map = new Map(list.map((m) => [m.id, m]));
  for (const m of incoming) map.set(m.id, map.has(m.id) ? mergeOne(map.get(m.id)!, m) : m);
  return [...map.values()].sort(byTime);
}


/** An offer with what the agent needs to decide. */
export interface OfferItem {
  id: string;
  enquiry_id: string;
  visitor_id: string;
  channel_id: string;
  deadline_at: string;
  created_at: string;
  via_sticky: boolean;
  visitor_name: string | null;
  picture_url: string | null;
  channel_name: string | null;
  first_text: string | null;
  /** open; busy while accepting/declining; taken by someone else (then removed). */
  state: 'open' | 'busy' | 'taken' | 'gone';
  taken_by: string | null;
  error: string | null;
}

export function offerFromApi(raw: Loose, extra: Loose = {}): OfferItem {
  const visitor = (raw.visitor ?? extra.visitor ?? {}) as Loose;
  const first = (raw.first_message ?? extra.first_message ?? null) as Partial<Message> | null;
  return {
    id: String(raw.id),
    enquiry_id: String(raw.enquiry_id),
    visitor_id: String(raw.visitor_id ?? extra.visitor_id ?? visitor.id ?? ''),
    channel_id: String(raw.channel_id ?? extra.channel_id ?? ''),
    deadline_at: String(raw.deadline_at),
    created_at: String(raw.created_at),
    via_sticky: raw.via_sticky === true,
    visitor_name: str(raw.visitor_name) ?? str(extra.visitor_name) ?? str(visitor.name),
    picture_url: str(raw.visitor_picture_url) ?? str(extra.visitor_picture_url) ?? str(visitor.picture_url),
    channel_name: str(raw.channel_name) ?? str(extra.channel_name),
    first_text: (first && previewOf(first)) ?? str(raw.first_message_text) ?? str(raw.first_message_preview),
    state: 'open',
    taken_by: null,
    error: null,
  };
}

/** Adds or refreshes an offer (newest first), keeping what we already learnt. */
export function offersWith(offers: OfferItem[], offer: OfferItem): OfferItem[] {
  const old = offers.find((o) => o.id === offer.id);
  const merged: OfferItem = old
    ? {
        ...old,
        ...offer,
        visitor_name: offer.visitor_name ?? old.visitor_name,
        picture_url: offer.picture_url ?? old.picture_url,
        channel_name: offer.channel_name ?? old.channel_name,
        first_text: offer.first_text ?? old.first_text,
        state: old.state,
        taken_by: old.taken_by,
      }
    : offer;
  return [merged, ...offers.filter((o) => o.id !== offer.id)].sort((a, b) => ms(b.created_at) - ms(a.created_at));
}
