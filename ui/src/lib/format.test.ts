import { describe, expect, it } from 'vitest';
import {
  charCount,
  composeOutgoing,
  formatBytes,
  formatCountdown,
  formatDuration,
  formatTime,
  initials,
  linkify,
  measureReply,
  safeHttpUrl,
  tabTitle,
  windowState,
} from './format';

const ann = { first_name: 'Ann', display_name: 'Ann S. (Support)' };

describe('composeOutgoing (the server rule: compose_outgoing_text)', () => {
  it('prefixes by the channel display-name format', () => {
    expect(composeOutgoing('none', ann, 'Hello')).toBe('Hello');
    expect(composeOutgoing('first_name', ann, 'Hello')).toBe('Ann: Hello');
    expect(composeOutgoing('display_name', ann, 'Hello')).toBe('Ann S. (Support): Hello');
  });
  it('a blank name sends the text without a dangling colon', () => {
    expect(composeOutgoing('first_name', { first_name: '  ', display_name: '' }, 'hi')).toBe('hi');
  });
  it('an unknown format sends the text as typed', () => {
    expect(composeOutgoing(undefined, ann, 'hi')).toBe('hi');
  });
});

describe('measureReply', () => {
  it('counts the prefix and characters, not UTF-16 units', () => {
    const exactly = 'ö'.repeat(2000);
    expect(measureReply('none', ann, exactly)).toMatchObject({ length: 2000, over: false });
    expect(measureReply('first_name', ann, exactly)).toMatchObject({ length: 2005, over: true });
    expect(charCount('👍👍')).toBe(2);
    expect(measureReply('none', ann, '👍'.repeat(2000)).over).toBe(false);
  });
  it('knows an empty reply', () => {
    expect(measureReply('first_name', ann, '   ').empty).toBe(true);
  });
});

describe('durations and times', () => {
  it('formats durations compactly', () => {
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(12 * 60_000 + 5000)).toBe('12m');
    expect(formatDuration(3 * 3_600_000 + 5 * 60_000)).toBe('3h 05m');
    expect(formatDuration(52 * 3_600_000)).toBe('2d 4h');
    expect(formatDuration(-5)).toBe('0s');
  });
  it('counts down', () => {
    expect(formatCountdown(27_000)).toBe('0:27');
    expect(formatCountdown(65_000)).toBe('1:05');
    expect(formatCountdown(26_100)).toBe('0:27');
    expect(formatCountdown(-1)).toBe('0:00');
  });
  it('shows a clock time today and a date before', () => {
    const now = new Date(2026, 11, 2, 15, 0);
    expect(formatTime(new Date(2026, 11, 2, 9, 5).toISOString(), now)).toBe('09:05');
    expect(formatTime(new Date(2026, 10, 30, 9, 5).toISOString(), now)).toBe('Mon 09:05');
    expect(formatTime(new Date(2026, 9, 1, 9, 5).toISOString(), now)).toBe('1 Oct 09:05');
    expect(formatTime(new Date(2025, 9, 1, 9, 5).toISOString(), now)).toBe('1 Oct 2025 09:05');
    expect(formatTime(null, now)).toBe('');
  });
  it('says how much of the window is left', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    expect(windowState('2026-12-02T20:30:00Z', now)).toMatchObject({ lapsed: false, urgent: false, left: '8h 30m' });
    expect(windowState('2026-12-02T13:00:00Z', now)).toMatchObject({ lapsed: false, urgent: true, left: '1h 00m' });
    expect(windowState('2026-12-02T11:00:00Z', now)).toMatchObject({ lapsed: true });
    expect(windowState(null, now)).toBeNull();
  });
});

describe('sizes, names, titles', () => {
  it('formats bytes', () => {
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(820 * 1024)).toBe('820 KB');
    expect(formatBytes(1.45 * 1024 * 1024)).toBe('1.4 MB');
  });
  it('makes initials', () => {
    expect(initials('Vera Visitor')).toBe('VV');
    expect(initials('cher')).toBe('C');
    expect(initials('')).toBe('?');
    expect(initials('Ödön von Horváth')).toBe('ÖH');
  });
  it('puts the unread total in the tab title', () => {
    expect(tabTitle('My chats', 3)).toBe('(3) My chats · omnidesk');
    expect(tabTitle('My chats', 0)).toBe('My chats · omnidesk');
  });
});

describe('links', () => {
  it('links only http(s)', () => {
    expect(safeHttpUrl('https://example.com/a')).toBe('https://example.com/a');
    expect(safeHttpUrl('javascript:alert(1)')).toBeNull();
    expect(safeHttpUrl('data:text/html,<script>')).toBeNull();
    expect(safeHttpUrl('not a url')).toBeNull();
  });
  it('splits text into parts, punctuation outside the link', () => {
    expect(linkify('see https://example.com/x, ok')).toEqual([
      { text: 'see ' },
      { text: 'https://example.com/x', href: 'https://example.com/x' },
      { text: ', ok' },
    ]);
    expect(linkify('javascript:alert(1) <img src=x onerror=alert(1)>')).toEqual([
      { text: 'javascript:alert(1) <img src=x onerror=alert(1)>' },
    ]);
    expect(linkify('')).toEqual([]);
  });
});
