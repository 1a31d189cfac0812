import { describe, expect, it } from 'vitest';
import type { Message } from '../lib/live-events';
import {
  HUMAN_AGENT_MS,
  chatFromApi,
  chatsRead,
  chatsWithPreview,
  chatsWithMessage,
  mergeMessages,
  normalizeMessage,
  offerFromApi,
  offersWith,
  previewOf,
  unreadTotal,
  type ChatItem,
} from './chat-state';

const msg = (id: string, at: string, extra: Partial<Message> = {}): Message =>
  normalizeMessage({ id, sent_at: at, text: id, direction: 'inbound', author: 'visitor', enquiry_id: 'e1', ...extra });

const chat = (id: string, lastAt: string, extra: Partial<ChatItem> = {}): ChatItem => ({
  ...chatFromApi({
    id,
    channel_id: 'c',
    visitor_id: 'v' + id,
    visitor_name: 'V ' + id,
    opened_at: lastAt,
    last_inbound_at: lastAt,
    unread_count: 0,
    window_ends_at: new Date(Date.parse(lastAt) + 86_400_000).toISOString(),
  }),
  ...extra,
});

describe('mergeMessages', () => {
  it('appends, replaces by id and keeps time order', () => {
    let list = [msg('a', '2026-01-01T10:00:00Z'), msg('b', '2026-01-01T10:01:00Z')];
    list = mergeMessages(list, [msg('c', '2026-01-01T10:02:00Z')]);
    expect(list.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    list = mergeMessages(list, [msg('b', '2026-01-01T10:01:00Z', { text: 'edited' })]);
    expect(list.map((m) => m.text)).toEqual(['a', 'edited', 'c']);
    list = mergeMessages(list, [msg('early', '2026-01-01T09:00:00Z'), msg('c', '2026-01-01T10:02:00Z')]);
    expect(list.map((m) => m.id)).toEqual(['early', 'a', 'b', 'c']);
  });
  it('orders by time, not by the text of the time (trimmed fractions)', () => {
    const list = mergeMessages([msg('a', '2026-01-01T10:00:46.6Z')], [msg('b', '2026-01-01T10:00:46.599Z'), msg('c', '2026-01-01T10:00:46.61Z')]);
    expect(list.map((m) => m.id)).toEqual(['b', 'a', 'c']);
  });
  it('shows a message delivered twice (reply answer and event) once', () => {
    const sent = msg('r', '2026-01-01T10:03:00Z', { direction: 'outbound', author: 'staff', status: 'queued' });
    let list = mergeMessages([], [sent]);
    list = mergeMessages(list, [{ ...sent, status: 'sent' }]);
    expect(list).toHaveLength(1);
    expect(list[0]!.status).toBe('sent');
  });
  it('a late "queued" answer never undoes a newer status', () => {
    const sent = msg('r', '2026-01-01T10:03:00Z', { direction: 'outbound', author: 'staff', status: 'queued' });
    // The outbox failed it before the POST answered.
    let list = mergeMessages([], [{ ...sent, status: 'failed', failure_reason: '(#551) gone' }]);
    list = mergeMessages(list, [sent]);
    expect(list[0]).toMatchObject({ status: 'failed', failure_reason: '(#551) gone' });
    list = mergeMessages([{ ...sent, status: 'read' }], [{ ...sent, status: 'delivered', text: 'same' }]);
    expect(list[0]!.status).toBe('read');
  });
});

describe('my chats', () => {
  it('new activity moves a chat up and counts unread unless viewed', () => {
    let chats = [chat('1', '2026-01-01T10:05:00Z'), chat('2', '2026-01-01T10:00:00Z')];
    chats = chatsWithMessage(chats, msg('m', '2026-01-01T10:06:00Z', { enquiry_id: '2', text: 'hello?' }), false);
    expect(chats.map((c) => c.id)).toEqual(['2', '1']);
    expect(chats[0]).toMatchObject({ unread: 1, fresh: true, last_text: 'hello?', last_from: 'visitor' });
    expect(chats[0]!.window_ends_at).toBe('2026-01-02T10:06:00.000Z');
    expect(unreadTotal(chats)).toBe(1);
    chats = chatsWithMessage(chats, msg('m2', '2026-01-01T10:07:00Z', { enquiry_id: '2' }), false);
    expect(unreadTotal(chats)).toBe(2);
    chats = chatsRead(chats, '2');
    expect(unreadTotal(chats)).toBe(0);
    expect(chats[0]!.fresh).toBe(false);
  });
  it('our replies update the preview without counting as unread', () => {
    let chats = [chat('1', '2026-01-01T10:05:00Z')];
    chats = chatsWithMessage(
      chats,
      msg('r', '2026-01-01T10:06:00Z', { enquiry_id: '1', direction: 'outbound', author: 'staff', text: 'Ann: hi' }),
      false,
    );
    expect(chats[0]).toMatchObject({ unread: 0, last_from: 'us', last_text: 'Ann: hi' });
  });
  it('reads the richer list item fields when present', () => {
    const c = chatFromApi({
      id: 'e',
      channel_id: 'c',
      visitor_id: 'v',
      visitor_name: 'Vera',
      visitor_picture_url: 'https://x/p.jpg',
      channel_name: 'Shop',
      opened_at: '2026-01-01T10:00:00Z',
      last_inbound_at: '2026-01-01T10:00:00Z',
      unread_count: 2,
      window_ends_at: '2026-01-02T10:00:00Z',
      last_message: { text: 'Where is my order?', direction: 'inbound', sent_at: '2026-01-01T10:01:00Z' },
    });
    expect(c).toMatchObject({ picture_url: 'https://x/p.jpg', channel_name: 'Shop', unread: 2, last_text: 'Where is my order?', last_at: '2026-01-01T10:01:00Z' });
  });
});

describe('previews', () => {
  it('names files, stickers and postbacks', () => {
    expect(previewOf({ text: ' hi ' })).toBe('hi');
    expect(previewOf({ kind: 'sticker' })).toBe('Sticker');
    expect(
      previewOf({ kind: 'attachment', attachments: [{ id: 'a', kind: 'image', status: 'stored' }] as Message['attachments'] }),
    ).toBe('Photo');
    expect(previewOf({ kind: 'postback', text: 'Get started' })).toBe('Get started');
    expect(previewOf({ kind: 'text', text: '' })).toBeNull();
  });
});

describe('offers', () => {
  it('keeps what it learnt about an offer when it is refreshed', () => {
    const a = offerFromApi(
      { id: 'o1', enquiry_id: 'e1', deadline_at: '2026-01-01T10:00:30Z', created_at: '2026-01-01T10:00:00Z' },
      { visitor_name: 'Vera', channel_name: 'Shop', visitor_id: 'v' },
    );
    let offers = offersWith([], a);
    offers = offersWith(offers, offerFromApi({ id: 'o1', enquiry_id: 'e1', deadline_at: 'x', created_at: '2026-01-01T10:00:00Z' }));
    expect(offers).toHaveLength(1);
    expect(offers[0]).toMatchObject({ visitor_name: 'Vera', channel_name: 'Shop' });
    offers = offersWith(offers, offerFromApi({ id: 'o2', enquiry_id: 'e2', deadline_at: 'x', created_at: '2026-01-01T10:01:00Z' }));
    expect(offers.map((o) => o.id)).toEqual(['o2', 'o1']);
  });
});

describe('windows and previews', () => {
  it('a visitor message restarts the 7-day window on a Human Agent channel', () => {
    const chats = chatsWithMessage([chat('1', '2026-01-01T10:00:00Z')], msg('m', '2026-01-03T10:00:00Z', { enquiry_id: '1' }), true, HUMAN_AGENT_MS);
    expect(chats[0]!.window_ends_at).toBe('2026-01-10T10:00:00.000Z');
    expect(chats[0]!.unread).toBe(0);
  });
  it('fills a missing preview from the loaded conversation, once', () => {
    const chats = [chat('1', '2026-01-01T10:00:00Z')];
    const next = chatsWithPreview(chats, '1', msg('m', '2026-01-01T10:01:00Z', { enquiry_id: '1', text: 'latest' }));
    expect(next[0]).toMatchObject({ last_text: 'latest', last_from: 'visitor' });
    expect(chatsWithPreview(next, '1', msg('m', '2026-01-01T10:01:00Z', { enquiry_id: '1', text: 'latest' }))).toBe(next);
    expect(chatsRead(next, '1')).toBe(next);
  });
});
