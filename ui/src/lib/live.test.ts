// The live connection against a fake WebSocket: resuming with ?after=,
// nothing handled twice, ready after every (re)connect, state changes.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

class FakeSocket {
  static all: FakeSocket[] = [];
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: ((event?: { code: number }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  close(code?: number): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.(code === undefined ? undefined : { code });
  }
  /** The server went away. */
  drop(): void {
    this.close();
  }
}

beforeAll(() => {
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal('location', { protocol: 'http:', host: 'desk.test', pathname: '/chats', search: '' });
  // The session (which ends on a 4401 close) imports the router, which listens to window.
  vi.stubGlobal('window', { addEventListener: () => undefined });
  vi.stubGlobal('fetch', async () => new Response('{}', { status: 200 }));
  vi.useFakeTimers();
});
afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('live', () => {
  it('resumes after the last event and handles each event once', async () => {
    const { live } = await import('./live.svelte');
    const seen: string[] = [];
    const readies: boolean[] = [];
    live.on('message.created', (d) => seen.push(String(d.message.text)));
    live.on('ready', ({ reconnected }) => readies.push(reconnected));

    live.start();
    expect(live.state).toBe('connecting');
    const first = FakeSocket.all.at(-1)!;
    expect(first.url).toBe('ws://desk.test/api/v1/events');
    first.send({ type: 'ready', seq: 10 });
    expect(live.state).toBe('live');
    const msg = (seq: number, text: string) => ({ seq, type: 'message.created', at: '', data: { enquiry_id: 'e', message: { id: text, text } } });
    first.send(msg(11, 'a'));
    first.send(msg(12, 'b'));

    first.drop();
    expect(live.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(600);
    const second = FakeSocket.all.at(-1)!;
    expect(second).not.toBe(first);
    expect(second.url).toBe('ws://desk.test/api/v1/events?after=12');
    // The replay overlaps what was already handled.
    second.send(msg(12, 'b'));
    second.send(msg(13, 'c'));
    second.send({ type: 'ready', seq: 13 });
    second.send(msg(14, 'd'));

    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(readies).toEqual([false, true]);
    expect(live.lastSeq).toBe(14);
    expect(live.state).toBe('live');

    live.stop();
    expect(live.state).toBe('offline');
  });

  it('backs off between failed attempts', async () => {
    const { live } = await import('./live.svelte');
    live.start();
    const count = () => FakeSocket.all.length;
    const before = count();
    FakeSocket.all.at(-1)!.drop();
    await vi.advanceTimersByTimeAsync(500);
    expect(count()).toBe(before + 1);
    FakeSocket.all.at(-1)!.drop();
    // The second retry waits longer than the first.
    await vi.advanceTimersByTimeAsync(400);
    expect(count()).toBe(before + 1);
    await vi.advanceTimersByTimeAsync(700);
    expect(count()).toBe(before + 2);
    live.stop();
  });

  it('ends the session, with no reconnecting, when the server closes with 4401', async () => {
    const { live } = await import('./live.svelte');
    const { session } = await import('./session.svelte');
    const ended = vi.spyOn(session, 'ended').mockImplementation(() => undefined);
    session.state = { status: 'ready', staff: {} as never, account: {} as never };
    live.start();
    const socket = FakeSocket.all.at(-1)!;
    socket.send({ type: 'ready', seq: 1 });
    expect(live.state).toBe('live');
    const before = FakeSocket.all.length;
    socket.close(4401);
    expect(ended).toHaveBeenCalledOnce();
    expect(live.state).toBe('offline');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakeSocket.all.length).toBe(before);
    ended.mockRestore();
    session.state = { status: 'anonymous' };
  });
});
