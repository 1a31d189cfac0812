// The Facebook emulator's control API (docs/emulator.md, "Control API"),
// one method per endpoint, for browser tests: make visitors write, read
// what they received, break Facebook on purpose.

export interface VisitorInfo {
  psid: string;
  page_id: string;
  first_name: string;
  last_name: string;
  profile_pic: string;
  blocked: boolean;
  last_inbound_ms?: number | null;
}

export interface UserInfo {
  id: string;
  name: string;
  app_removed?: boolean;
}

export interface PageInfo {
  id: string;
  name: string;
  picture: string;
  roles: Record<string, string[]>;
  subscribed_fields?: string[] | null;
}

export interface EventReceipt {
  mid: string | null;
  timestamp: number;
}

export interface AttachmentRecord {
  kind: string;
  url?: string | null;
  attachment_id?: string | null;
  filename?: string | null;
  content_type?: string | null;
  size?: number | null;
  sticker_id?: number | null;
}

export interface ThreadItem {
  /** `page` (the app or the Page inbox) or `visitor`. */
  from: 'page' | 'visitor';
  /** `message`, `postback`, `reaction`, `sender_action`, … */
  kind: string;
  mid?: string | null;
  timestamp: number;
  text?: string | null;
  attachments: AttachmentRecord[];
  messaging_type?: string | null;
  tag?: string | null;
  metadata?: string | null;
  app_id?: string | null;
  reply_to?: string | null;
  quick_replies?: unknown;
  sender_action?: string | null;
  payload?: string | null;
}

/** A fault on one Graph endpoint (see Endpoint). */
export interface Fault {
  latency_ms?: number;
  /** Answer with this HTTP 5xx status (code 2, transient). */
  status?: number;
  /** 613 or 80006, with usage headers. */
  rate_limit?: number;
  /** The rate limit's estimated_time_to_regain_access in minutes (default 5). */
  regain_access_minutes?: number;
  /** Error 1200 "Temporary send message failure". */
  error_1200?: boolean;
  /** Only the next N calls; forever when absent. */
  times?: number;
}

export type FaultEndpoint =
  | 'messages'
  | 'message_attachments'
  | 'subscribed_apps'
  | 'accounts'
  | 'me'
  | 'permissions'
  | 'debug_token'
  | 'access_token'
  | 'profile'
  | 'subscriptions'
  | '*';

export interface WebhookSettings {
  url: string | null;
  deauthorize_url: string | null;
  duplicate: boolean;
  reorder: boolean;
  batch_window_ms: number;
  retry_initial_ms: number;
  retry_max_ms: number;
  failure_window_ms: number;
}

/** Auto-consent for the Facebook Login dialog. */
export interface Consent {
  /** The user who "logs in"; the first user when absent. */
  user_id?: string;
  /** Pages ticked; all the user's Pages when absent. */
  pages?: string[];
  /** Permissions the user unticks, e.g. `pages_messaging`. */
  declined?: string[];
}

/** Anything a visitor does (POST /visitors/{psid}/events). */
export type VisitorEvent =
  | { type: 'text'; text: string; reply_to?: string }
  | { type: 'attachment'; kind: string; url: string }
  | { type: 'sticker'; sticker_id: number; url: string }
  | { type: 'postback'; title: string; payload: string }
  | { type: 'quick_reply'; text: string; payload: string }
  | { type: 'reaction'; mid: string; reaction: string; emoji: string; action: 'react' | 'unreact' }
  | { type: 'edit'; mid: string; text: string }
  | { type: 'referral'; ref: string; source: string }
  | { type: 'optin'; ref: string }
  | { type: 'delivery' }
  | { type: 'read' };

export class EmulatorError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`emulator control ${method} /_emulator/${path} answered ${status}: ${body}`);
  }
}

let counter = 0;
/** A short unique suffix for names of things a test creates. */
export function unique(prefix = ''): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36).slice(-5)}${process.pid.toString(36)}${counter}`;
}

export class EmulatorClient {
  /** `base`: the emulator's `http://host:port`. */
  constructor(readonly base: string) {
    this.base = base.replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}/_emulator/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!res.ok) throw new EmulatorError(method, path, res.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // ---- pages, people, visitors

  /** The visitor's Messenger window (type there as the visitor). */
  chatUrl(pageId: string, psid: string): string {
    return `${this.base}/_emulator/chat/${pageId}/${psid}`;
  }

  overview(): Promise<{ users: UserInfo[]; pages: PageInfo[]; visitors: VisitorInfo[] }> {
    return this.call('GET', 'overview');
  }

  /** A Facebook user who can log in with the dialog. */
  createUser(name: string, id?: string): Promise<UserInfo> {
    return this.call('POST', 'users', { id, name });
  }

  createPage(name: string, options: { id?: string; picture?: string } = {}): Promise<PageInfo> {
    return this.call('POST', 'pages', { name, ...options });
  }

  /** Tasks from MANAGE, CREATE_CONTENT, MODERATE, MESSAGING, ADVERTISE, ANALYZE. */
  setPageRole(pageId: string, userId: string, tasks: string[]): Promise<PageInfo> {
    return this.call('PUT', `pages/${pageId}/roles`, { user_id: userId, tasks });
  }

  /** The user loses their role on the Page: their Page tokens fail with 190/492. */
  removePageRole(pageId: string, userId: string): Promise<PageInfo> {
    return this.call('DELETE', `pages/${pageId}/roles/${userId}`);
  }

  /**
   * A new visitor of the Page (a fresh one per test keeps tests independent).
   * The emulator picks the PSID unless `psid` is given.
   */
  createVisitor(pageId: string, firstName: string, lastName: string, profilePic?: string, psid?: string): Promise<VisitorInfo> {
    return this.call('POST', `pages/${pageId}/visitors`, {
      psid,
      first_name: firstName,
      last_name: lastName,
      profile_pic: profilePic,
    });
  }

  visitor(psid: string): Promise<VisitorInfo> {
    return this.call('GET', `visitors/${psid}`);
  }

  /** The visitor blocks the Page (sends fail with 551/1545041), or unblocks it. */
  blockVisitor(psid: string, blocked = true): Promise<VisitorInfo> {
    return this.call('PUT', `visitors/${psid}/blocked`, { blocked });
  }

  // ---- what visitors do

  visitorEvent(psid: string, event: VisitorEvent, options: { standby?: boolean } = {}): Promise<EventReceipt> {
    return this.call('POST', `visitors/${psid}/events`, { ...event, standby: options.standby ?? false });
  }

  /** The visitor writes `text` (optionally quoting the message `replyTo`). */
  visitorSays(psid: string, text: string, replyTo?: string): Promise<EventReceipt> {
    return this.visitorEvent(psid, { type: 'text', text, reply_to: replyTo });
  }

  /**
   * The visitor sends an attachment by URL; `kind`: image, audio, video, file
   * (also reel, post, fallback). The emulator does not fetch the URL.
   */
  visitorSendsFile(psid: string, url: string, kind = 'file'): Promise<EventReceipt> {
    return this.visitorEvent(psid, { type: 'attachment', kind, url });
  }

  visitorSendsSticker(psid: string, stickerId: number, url: string): Promise<EventReceipt> {
    return this.visitorEvent(psid, { type: 'sticker', sticker_id: stickerId, url });
  }

  visitorPostback(psid: string, title: string, payload: string): Promise<EventReceipt> {
    return this.visitorEvent(psid, { type: 'postback', title, payload });
  }

  visitorQuickReply(psid: string, text: string, payload: string): Promise<EventReceipt> {
    return this.visitorEvent(psid, { type: 'quick_reply', text, payload });
  }

  visitorReacts(psid: string, mid: string, emoji = '❤', reaction = 'love', action: 'react' | 'unreact' = 'react'): Promise<EventReceipt> {
    return this.visitorEvent(psid, { type: 'reaction', mid, reaction, emoji, action });
  }

  visitorEdits(psid: string, mid: string, text: string): Promise<EventReceipt> {
    return this.visitorEvent(psid, { type: 'edit', mid, text });
  }

  /** Delivery receipt up to the Page's latest message. */
  visitorReceived(psid: string): Promise<EventReceipt> {
    return this.visitorEvent(psid, { type: 'delivery' });
  }

  /** Read receipt up to the Page's latest message. */
  visitorRead(psid: string): Promise<EventReceipt> {
    return this.visitorEvent(psid, { type: 'read' });
  }

  /** A human answers from the Page inbox (an echo the app did not send). */
  inboxReply(psid: string, text: string): Promise<EventReceipt> {
    return this.call('POST', `visitors/${psid}/inbox_reply`, { text });
  }

  // ---- what visitors received

  /** The whole conversation, both directions, in order. */
  thread(psid: string): Promise<ThreadItem[]> {
    return this.call('GET', `visitors/${psid}/thread`);
  }

  /** Only the messages the visitor received from the Page. */
  async received(psid: string): Promise<ThreadItem[]> {
    return (await this.thread(psid)).filter((i) => i.from === 'page' && i.kind === 'message');
  }

  /**
   * Waits until the visitor has received a message whose text matches
   * (`string`: contains), and returns it.
   */
  async waitForReceived(psid: string, text: string | RegExp, timeoutMs = 10_000): Promise<ThreadItem> {
    const matches = (t?: string | null) => (typeof text === 'string' ? !!t?.includes(text) : !!t && text.test(t));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const items = await this.received(psid);
      const found = items.find((i) => matches(i.text));
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `visitor ${psid} did not receive ${String(text)} within ${timeoutMs} ms; received: ${JSON.stringify(items.map((i) => i.text ?? i.attachments))}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  // ---- environment

  clock(): Promise<{ offset_ms: number; now_ms: number }> {
    return this.call('GET', 'clock');
  }

  /** Emulator time = wall clock + offsetMs (24-hour window, webhook failure window). */
  setClock(offsetMs: number): Promise<{ offset_ms: number; now_ms: number }> {
    return this.call('PUT', 'clock', { offset_ms: offsetMs });
  }

  async advanceClock(ms: number): Promise<{ offset_ms: number; now_ms: number }> {
    const now = await this.clock();
    return this.setClock(now.offset_ms + ms);
  }

  setFault(endpoint: FaultEndpoint, fault: Fault): Promise<void> {
    return this.call('PUT', `faults/${endpoint}`, fault);
  }

  faults(): Promise<Record<string, Fault>> {
    return this.call('GET', 'faults');
  }

  clearFaults(): Promise<void> {
    return this.call('DELETE', 'faults');
  }

  webhook(): Promise<WebhookSettings> {
    return this.call('GET', 'webhook');
  }

  setWebhook(settings: WebhookSettings): Promise<WebhookSettings> {
    return this.call('PUT', 'webhook', settings);
  }

  async updateWebhook(change: Partial<WebhookSettings>): Promise<WebhookSettings> {
    return this.setWebhook({ ...(await this.webhook()), ...change });
  }

  // ---- the Facebook Login dialog

  consent(): Promise<Consent | null> {
    return this.call('GET', 'consent');
  }

  /** The login dialog consents by itself with these grants (no form shown). */
  setConsent(consent: Consent): Promise<Consent | null> {
    return this.call('PUT', 'consent', consent);
  }

  /** The login dialog shows its form again. */
  clearConsent(): Promise<void> {
    return this.call('DELETE', 'consent');
  }

  // ---- access loss

  /** The token fails with 190/467 from now on. */
  revokeToken(token: string): Promise<void> {
    return this.call('POST', 'tokens/revoke', { token });
  }

  /** Every token of the user fails with 190/460. */
  changePassword(userId: string): Promise<void> {
    return this.call('POST', `users/${userId}/password_change`);
  }

  /** The user removes the app: tokens fail with 190/458, deauthorize callback sent. */
  removeApp(userId: string): Promise<void> {
    return this.call('POST', `users/${userId}/remove_app`);
  }

  // ---- inspection

  subscriptions(): Promise<{ app: { callback_url: string; fields: string[] } | null; pages: Record<string, string[]> }> {
    return this.call('GET', 'subscriptions');
  }

  /** Every webhook / handshake / deauthorize attempt. */
  deliveries(): Promise<unknown[]> {
    return this.call('GET', 'deliveries');
  }
}
