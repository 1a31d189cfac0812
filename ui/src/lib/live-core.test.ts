import { describe, expect, it } from 'vitest';
import { ACCESS_ENDED, SeqGate, afterClose, backoffDelay, eventsUrl, parseFrame } from './live-core';

describe('backoffDelay', () => {
  it('doubles from half a second and stays under 15 s', () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(1, () => 1)).toBe(1000);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    expect(backoffDelay(30, () => 1)).toBe(15000);
    expect(backoffDelay(30, () => 0)).toBe(7500);
  });
});

describe('parseFrame', () => {
  it('reads events and the ready frame', () => {
    expect(parseFrame('{"type":"ready","seq":7}')).toEqual({ type: 'ready', seq: 7 });
    expect(parseFrame('{"seq":8,"type":"offer.created","at":"2026-01-01T00:00:00Z","data":{"x":1}}')).toEqual({
      type: 'offer.created',
      seq: 8,
      at: '2026-01-01T00:00:00Z',
      data: { x: 1 },
    });
  });
  it('ignores what is not a frame', () => {
    expect(parseFrame('nope')).toBeNull();
    expect(parseFrame('[1]')).toBeNull();
    expect(parseFrame('{"type":"x"}')).toBeNull();
    expect(parseFrame('null')).toBeNull();
  });
});

describe('SeqGate', () => {
  it('admits each number once, in order, allowing gaps', () => {
    const gate = new SeqGate();
    expect(gate.admit(3)).toBe(true);
    expect(gate.admit(3)).toBe(false);
    expect(gate.admit(5)).toBe(true);
    expect(gate.admit(4)).toBe(false);
    expect(gate.last).toBe(5);
  });
  it('a replay after reconnect shows nothing twice', () => {
    const gate = new SeqGate();
    const shown: number[] = [];
    for (const s of [1, 2, 3]) if (gate.admit(s)) shown.push(s);
    // The socket dropped; the new one replays from ?after=3 but a racing
    // delivery repeats 3.
    for (const s of [3, 4, 5]) if (gate.admit(s)) shown.push(s);
    expect(shown).toEqual([1, 2, 3, 4, 5]);
  });
  it('ready moves the mark forward only', () => {
    const gate = new SeqGate();
    gate.ready(10);
    expect(gate.admit(10)).toBe(false);
    expect(gate.admit(11)).toBe(true);
    gate.ready(4);
    expect(gate.last).toBe(11);
  });
});

describe('eventsUrl', () => {
  it('uses wss on https and resumes after the last seq', () => {
    expect(eventsUrl({ protocol: 'https:', host: 'desk.example' }, 42)).toBe('wss://desk.example/api/v1/events?after=42');
    expect(eventsUrl({ protocol: 'http:', host: '127.0.0.1:8080' }, null)).toBe('ws://127.0.0.1:8080/api/v1/events');
  });
});

describe('afterClose', () => {
  it('ends the session when the server says access ended (4401)', () => {
    expect(ACCESS_ENDED).toBe(4401);
    expect(afterClose({ code: 4401, opened: true }, 0)).toBe('end-session');
    expect(afterClose({ code: 4401, opened: false }, 1)).toBe('end-session');
  });
  it('reconnects after a socket that was open drops', () => {
    expect(afterClose({ code: 1006, opened: true }, 0)).toBe('reconnect');
    expect(afterClose({ code: 1011, opened: true }, 0)).toBe('reconnect');
    expect(afterClose({ code: 1012, opened: true }, 0)).toBe('reconnect');
  });
  it('checks the session after a refused handshake: at once, then every third refusal', () => {
    const actions = [1, 2, 3, 4, 5, 6, 7].map((n) => afterClose({ code: 1006, opened: false }, n));
    expect(actions).toEqual(['check-session', 'reconnect', 'check-session', 'reconnect', 'reconnect', 'check-session', 'reconnect']);
  });
});
