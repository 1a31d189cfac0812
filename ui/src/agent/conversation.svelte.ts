// One open conversation: the enquiry with its visitor, its messages (kept
// current by live events), sending text and files, typing, marking read.
// Also the read-only transcript of an earlier enquiry (`live: false`).
import { api, describe, unwrap, ApiFailure, type Schemas } from '../api/client';
import { live } from '../lib/live.svelte';
import type { Message } from '../lib/live-events';
import { MAX_FILE_BYTES, formatBytes } from '../lib/format';
import { postJson, uploadFile } from './api';
import { mergeMessages, normalizeMessage } from './chat-state';
import { desk, type Load } from './desk.svelte';

type EnquiryDetail = Schemas['EnquiryDetailView'];
type PageOf = { items: Message[]; next_cursor?: string | null };

export interface Upload {
  id: string;
  name: string;
  size: number;
  progress: number;
  error: string | null;
  abort: AbortController;
}

/** How many messages the DOM shows at first and adds per scroll to the top. */
export const WINDOW = 60;
const PAGE = 200;
/** Messages per newest-first page. */
const DESC_PAGE = 60;
/** The server pages newest-first (`order=desc`, R's API change); until it
 *  does, the console walks the oldest-first pages to the end. */
const MESSAGES_NEWEST_FIRST = true;

export class Conversation {
  detail = $state<EnquiryDetail | null>(null);
  messages = $state<Message[]>([]);
  load = $state<Load>('loading');
  error = $state<string | null>(null);
  /** Messages older than the loaded ones exist on the server. */
  olderCursor = $state<string | null>(null);
  loadingOlder = $state(false);
  /** How many of the newest loaded messages are rendered. */
  shown = $state(WINDOW);
  uploads = $state<Upload[]>([]);

  private offs: (() => void)[] = [];
  private typingSentAt = 0;
  /** Facebook refused a typing bubble (blocked, window lapsed): don't keep asking. */
  private typingRefused = false;
  private typingStop: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly id: string,
    readonly options: { live: boolean } = { live: true },
  ) {
    if (options.live) {
      const mine = (d: { enquiry_id?: string | null }) => d.enquiry_id === this.id;
      this.offs = [
        live.on('message.created', (d) => {
          if (!mine(d)) return;
          // The visitor wrote: a refused typing bubble may work again.
          if (d.message.direction === 'inbound') this.typingRefused = false;
          this.take([normalizeMessage(d.message)]);
        }),
        live.on('message.updated', (d) => mine(d) && this.take([normalizeMessage(d.message)])),
        live.on('visitor.updated', (d) => {
          if (this.detail && this.detail.visitor.id === d.visitor.id) this.detail = { ...this.detail, visitor: d.visitor };
        }),
        // After a reconnect the replay brings what was missed; reading the
        // newest page too costs little and covers an expired event log.
        live.on('ready', ({ reconnected }) => reconnected && void this.refreshNewest()),
      ];
    }
  }

  destroy(): void {
    this.offs.forEach((off) => off());
    this.offs = [];
    for (const u of this.uploads) u.abort.abort();
    if (this.typingStop) clearTimeout(this.typingStop);
  }

  /** Loaded messages, plus what the DOM shows of them. */
  get visible(): Message[] {
    return this.messages.length > this.shown ? this.messages.slice(this.messages.length - this.shown) : this.messages;
  }

  get hiddenLoaded(): number {
    return Math.max(0, this.messages.length - this.shown);
  }

  async open(): Promise<void> {
    this.load = 'loading';
    this.error = null;
    try {
      const [detail, messages] = await Promise.all([desk.detail(this.id, true), this.openingPage()]);
      if (!detail) throw new ApiFailure(404, { code: 'not_found', message: 'This enquiry does not exist or is not yours to see.' });
      this.detail = detail;
      this.messages = mergeMessages(this.messages, messages);
      this.load = 'ready';
    } catch (e) {
      this.error = describe(e);
      this.load = 'error';
    }
  }

  /** The first page on opening; remembers where older messages continue. */
  private async openingPage(): Promise<Message[]> {
    if (!MESSAGES_NEWEST_FIRST) return this.fetchNewest();
    const page = await unwrap(api.GET('/api/v1/enquiries/{id}/messages', { params: { path: { id: this.id }, query: { order: 'desc', limit: DESC_PAGE } } }));
    this.olderCursor = page.next_cursor ?? null;
    return page.items.map(normalizeMessage);
  }

  /** The newest messages. With `order=desc` (MESSAGES_NEWEST_FIRST) one page
   *  of the newest, older pages on scroll: a chat of 5,000 opens like one of
   *  5. Without it the server pages oldest-first, so this walks to the end in
   *  pages of 200 and renders only the newest; older ones appear on scroll. */
  private async fetchNewest(): Promise<Message[]> {
    if (MESSAGES_NEWEST_FIRST) {
      const page = await unwrap(api.GET('/api/v1/enquiries/{id}/messages', { params: { path: { id: this.id }, query: { order: 'desc', limit: DESC_PAGE } } }));
      return page.items.map(normalizeMessage);
    }
    const all: Message[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const page: PageOf = await unwrap(api.GET('/api/v1/enquiries/{id}/messages', { params: { path: { id: this.id }, query: { limit: PAGE, cursor: cursor ?? undefined } } }));
      all.push(...page.items.map(normalizeMessage));
      cursor = page.next_cursor ?? null;
      if (!cursor) break;
    }
    return all;
  }

  private async refreshNewest(): Promise<void> {
    try {
      const newest = await this.fetchNewest();
      this.take(newest);
    } catch {
      /* the replay already delivered what matters */
    }
  }

  /** Shows more of the older messages (scrolling to the top): first those
   *  loaded but not rendered, then (newest-first paging) the next older page. */
  async showOlder(): Promise<boolean> {
    if (this.hiddenLoaded > 0) {
      this.shown += WINDOW;
      return true;
    }
    if (!MESSAGES_NEWEST_FIRST || !this.olderCursor || this.loadingOlder) return false;
    this.loadingOlder = true;
    try {
      const page = await unwrap(
        api.GET('/api/v1/enquiries/{id}/messages', {
          params: { path: { id: this.id }, query: { order: 'desc', limit: DESC_PAGE, cursor: this.olderCursor } },
        }),
      );
      this.olderCursor = page.next_cursor ?? null;
      this.take(page.items.map(normalizeMessage));
      return page.items.length > 0;
    } catch {
      return false;
    } finally {
      this.loadingOlder = false;
    }
  }

  private take(incoming: Message[]): void {
    const before = this.messages.length;
    this.messages = mergeMessages(this.messages, incoming);
    if (this.messages.length > before) this.shown += this.messages.length - before;
  }

  // Sending

  async sendText(text: string): Promise<void> {
    this.stopTyping();
    const sent = await postJson<Message>('/api/v1/enquiries/{id}/messages', { id: this.id }, { text });
    if (sent && typeof sent === 'object' && 'id' in sent) this.take([normalizeMessage(sent)]);
  }

  /** Checks then uploads a file with progress; failures stay listed with the reason. */
  sendFile(file: File): void {
    const upload: Upload = {
      id: `up-${Math.random().toString(36).slice(2)}`,
      name: file.name,
      size: file.size,
      progress: 0,
      error: null,
      abort: new AbortController(),
    };
    if (file.size > MAX_FILE_BYTES) {
      upload.error = `This file is ${formatBytes(file.size)}; files can be at most 25 MB.`;
      this.uploads = [...this.uploads, upload];
      return;
    }
    if (file.size === 0) {
      upload.error = 'This file is empty.';
      this.uploads = [...this.uploads, upload];
      return;
    }
    this.uploads = [...this.uploads, upload];
    const patch = (p: Partial<Upload>) => (this.uploads = this.uploads.map((u) => (u.id === upload.id ? { ...u, ...p } : u)));
    uploadFile(`/api/v1/enquiries/${encodeURIComponent(this.id)}/files`, file, (progress) => patch({ progress }), upload.abort.signal)
      .then((sent) => {
        this.uploads = this.uploads.filter((u) => u.id !== upload.id);
        if (sent && typeof sent === 'object' && 'id' in sent) this.take([normalizeMessage(sent as Message)]);
      })
      .catch((e) => {
        if (e instanceof ApiFailure && e.info.code === 'aborted') this.uploads = this.uploads.filter((u) => u.id !== upload.id);
        else patch({ error: describe(e) });
      });
  }

  dismissUpload(id: string): void {
    const u = this.uploads.find((x) => x.id === id);
    u?.abort.abort();
    this.uploads = this.uploads.filter((x) => x.id !== id);
  }

  /** The agent is typing: tell the visitor at most every 8 s; stop after 5 s idle. */
  typing(): void {
    if (this.typingRefused) return;
    const now = Date.now();
    if (now - this.typingSentAt > 8000) {
      this.typingSentAt = now;
      void this.sendTyping(true);
    }
    if (this.typingStop) clearTimeout(this.typingStop);
    this.typingStop = setTimeout(() => this.stopTyping(), 5000);
  }

  stopTyping(): void {
    if (this.typingStop) clearTimeout(this.typingStop);
    this.typingStop = null;
    if (this.typingSentAt) {
      this.typingSentAt = 0;
      void this.sendTyping(false);
    }
  }

  private async sendTyping(typing: boolean): Promise<void> {
    // Best effort: a refused typing bubble (window lapsed, Facebook down) is not worth an error.
    const result = await api
      .POST('/api/v1/enquiries/{id}/typing', { params: { path: { id: this.id } }, body: { typing } })
      .catch(() => null);
    if (result && !result.response.ok) this.typingRefused = true;
  }

  /** Marks the visitor's messages read (drops my unread count to 0). */
  async markRead(): Promise<void> {
    desk.markRead(this.id);
    await api.POST('/api/v1/enquiries/{id}/read', { params: { path: { id: this.id } } }).catch(() => undefined);
  }
}

/** The visitor's other enquiries with this business, newest first. */
export async function earlierEnquiries(visitorId: string, exceptId: string): Promise<Schemas['EnquiryView'][]> {
  const page = await unwrap(api.GET('/api/v1/enquiries', { params: { query: { visitor_id: visitorId, limit: 50 } } }));
  return page.items.filter((e) => e.id !== exceptId);
}

