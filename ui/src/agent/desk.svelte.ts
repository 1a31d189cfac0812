// The agent's desk: my chats, my offers, the missed list, and the directory
// of names (staff, channels, visitors) the console shows. Loaded from the API
// after every (re)connect of the live socket, then kept current by events.
import { api, describe, unwrap, type Schemas } from '../api/client';
import { live } from '../lib/live.svelte';
import type { Message, Visitor } from '../lib/live-events';
import { router } from '../lib/router.svelte';
import { session } from '../lib/session.svelte';
import { chime, notifyHidden } from './alerts';
import { postJson } from './api';
import { drafts } from './drafts';
import {
  DAY_MS,
  HUMAN_AGENT_MS,
  chatFromApi,
  chatsRead,
  chatsWithPreview,
  chatsWithMessage,
  normalizeMessage,
  offerFromApi,
  offersWith,
  previewOf,
  sortChats,
  unreadTotal,
  type ChatItem,
  type OfferItem,
} from './chat-state';

export type Availability = 'available' | 'away' | 'offline';
export type Load = 'idle' | 'loading' | 'ready' | 'error';

export interface ChannelInfo {
  id: string;
  name: string;
  page_name: string | null;
  status: string;
  status_reason: string | null;
  display_name_format: string;
  human_agent_tag: boolean;
}

export interface TeamMember {
  id: string;
  name: string;
  availability: string | null;
  active: number | null;
  capacity: number | null;
  destination_ids: string[];
}

export interface MissedItem {
  enquiry_id: string;
  channel_id: string;
  visitor_id: string;
  opened_at: string;
  missed_at: string | null;
  reason: string | null;
  busy: boolean;
  error: string | null;
}

type Loose = Record<string, unknown>;
/** GET /api/v1/team (c61a434): every staff member, for agents too. Off only against older servers. */
const HAS_TEAM_ENDPOINT = true;
type EnquiryDetail = Schemas['EnquiryDetailView'];

class Desk {
  chats = $state<ChatItem[]>([]);
  chatsLoad = $state<Load>('idle');
  chatsError = $state<string | null>(null);
  offers = $state<OfferItem[]>([]);
  missed = $state<MissedItem[]>([]);
  missedLoad = $state<Load>('idle');
  missedError = $state<string | null>(null);
  channels = $state<Record<string, ChannelInfo>>({});
  visitors = $state<Record<string, Visitor>>({});
  /** Staff names by id (the team directory; partial for agents until GET /team exists). */
  staffNames = $state<Record<string, string>>({});
  team = $state<TeamMember[] | null>(null);
  destinations = $state<Schemas['DestinationView'][]>([]);
  /** The chat on screen (when the tab is visible, its messages count as read). */
  viewing = $state<string | null>(null);
  visible = $state(typeof document === 'undefined' ? true : document.visibilityState === 'visible');
  /** A short note for the console ("Vera's enquiry was transferred to you"). */
  notice = $state<{ text: string; tone: 'info' | 'warn' } | null>(null);
  /** Someone announced an enquiry's end while it was open: why. */
  ended = $state<Record<string, string>>({});

  unread = $derived(unreadTotal(this.chats));
  /** Channels whose Page access is lost: replies on them wait. */
  disconnected = $derived(Object.values(this.channels).filter((c) => c.status === 'disconnected'));

  private started = false;
  private offs: (() => void)[] = [];
  private detailCache = new Map<string, Promise<EnquiryDetail | null>>();

  get me(): string | null {
    return session.staff?.id ?? null;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.chatsLoad = 'loading';
    document.addEventListener('visibilitychange', this.onVisibility);
    this.offs = [
      live.on('ready', () => void this.refresh()),
      live.on('message.created', (d) => this.onMessage(d.message, true)),
      live.on('message.updated', (d) => this.onMessage(d.message, false)),
      live.on('enquiry.assigned', (d) => {
        if (d.staff_id === this.me && !this.chats.some((c) => c.id === d.enquiry_id)) void this.loadChats();
        // Accepted here or in another tab: the offer is done (a colleague's win comes as offer.taken).
        if (d.staff_id === this.me) this.offers = this.offers.filter((o) => o.enquiry_id !== d.enquiry_id);
        this.missed = this.missed.filter((m) => m.enquiry_id !== d.enquiry_id);
      }),
      live.on('enquiry.closed', (d) => this.lose(d.enquiry_id, d.closed_by === this.me ? null : `This enquiry was closed by ${this.nameOf(d.closed_by)}.`)),
      live.on('enquiry.transferred', (d) => {
        if (d.by_staff_id !== this.me) this.lose(d.enquiry_id, `This enquiry was transferred by ${this.nameOf(d.by_staff_id)}.`);
        else this.lose(d.enquiry_id, null);
      }),
      live.on('enquiry.unassigned', (d) => {
        if (d.staff_id === this.me)
          this.lose(d.enquiry_id, d.reason === 'away_grace_ended' ? 'You were away too long, so this enquiry went back to routing.' : 'This enquiry was taken from you.');
      }),
      live.on('enquiry.missed', () => void this.loadMissed()),
      live.on('offer.created', (d) => this.onOffer(d as unknown as Loose)),
      live.on('offer.withdrawn', (d) => this.dropOffer(d.offer_id)),
      live.on('offer.taken', (d) => this.offerTaken(d.offer_id, d.staff_id)),
      live.on('visitor.updated', (d) => this.rememberVisitor(d.visitor)),
      live.on('channel.updated', (d) => {
        const c = this.channels[d.channel_id];
        if (c) this.channels[d.channel_id] = { ...c, name: d.name, status: d.status };
        void this.loadChannels();
      }),
      live.on('channel.created', () => void this.loadChannels()),
      live.on('channel.disconnected', (d) => {
        const c = this.channels[d.channel_id];
        if (c) this.channels[d.channel_id] = { ...c, status: 'disconnected', status_reason: d.reason };
      }),
      live.on('channel.reconnected', () => void this.loadChannels()),
      live.on('channel.deleted', () => void this.loadChannels()),
      live.on('staff.availability', (d) => this.onAvailability(d)),
    ];
    void this.loadChannels();
    void this.loadTeam();
  }

  stop(): void {
    this.offs.forEach((off) => off());
    this.offs = [];
    this.started = false;
    // Logged out: nothing of this session stays for the next one.
    this.chats = [];
    this.chatsLoad = 'idle';
    this.offers = [];
    this.missed = [];
    this.missedLoad = 'idle';
    this.visitors = {};
    this.staffNames = {};
    this.team = null;
    this.ended = {};
    this.notice = null;
    this.detailCache.clear();
    drafts.clear();
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  private onVisibility = () => {
    this.visible = document.visibilityState === 'visible';
  };

  /** After every (re)connect: what may have changed while we were away. */
  async refresh(): Promise<void> {
    await Promise.all([this.loadChats(), this.loadOffers(), this.loadMissed(), this.loadMe()]);
  }

  private async loadMe(): Promise<void> {
    const { data } = await api.GET('/api/v1/me');
    if (data) session.updateStaff(data.staff);
  }

  async loadChats(): Promise<void> {
    if (this.chatsLoad !== 'ready') this.chatsLoad = 'loading';
    try {
      const data = await unwrap<Schemas['MyEnquiries']>(api.GET('/api/v1/me/enquiries'));
      const before = new Map(this.chats.map((c) => [c.id, c]));
      this.chats = sortChats(data.items.map((raw) => chatFromApi(raw as unknown as Loose, before.get(raw.id))));
      this.chatsLoad = 'ready';
      this.chatsError = null;
      for (const c of this.chats) if (!c.picture_url) void this.detail(c.id);
    } catch (e) {
      this.chatsError = describe(e);
      this.chatsLoad = 'error';
    }
  }

  async loadOffers(): Promise<void> {
    try {
      const data = await unwrap(api.GET('/api/v1/offers'));
      const open = data.items.filter((o) => o.status === 'open');
      let offers = this.offers.filter((o) => o.state === 'taken' || open.some((x) => x.id === o.id));
      for (const raw of open) offers = offersWith(offers, offerFromApi(raw as unknown as Loose));
      this.offers = offers;
      for (const o of this.offers) void this.enrichOffer(o.id);
    } catch {
      /* kept as they are; the next reconnect tries again */
    }
  }

  async loadMissed(): Promise<void> {
    if (this.missedLoad !== 'ready') this.missedLoad = 'loading';
    try {
      const data = await unwrap(api.GET('/api/v1/enquiries/missed'));
      const old = new Map(this.missed.map((m) => [m.enquiry_id, m]));
      this.missed = data.items.map((m) => {
        const raw = m as unknown as Loose;
        return {
          enquiry_id: m.enquiry_id,
          channel_id: m.channel_id,
          visitor_id: m.visitor_id,
          opened_at: m.opened_at,
          missed_at: m.missed_at ?? null,
          reason: typeof raw.reason === 'string' ? raw.reason : null,
          busy: old.get(m.enquiry_id)?.busy ?? false,
          error: old.get(m.enquiry_id)?.error ?? null,
        };
      });
      this.missedLoad = 'ready';
      this.missedError = null;
    } catch (e) {
      this.missedError = describe(e);
      this.missedLoad = 'error';
    }
  }

  async loadChannels(): Promise<void> {
    try {
      const data = await unwrap(api.GET('/api/v1/channels'));
      const out: Record<string, ChannelInfo> = {};
      for (const c of data.items) {
        const messages = (c.messages ?? {}) as Loose;
        const page = (c.page ?? {}) as Loose;
        out[c.id] = {
          id: c.id,
          name: c.name,
          page_name: typeof page.name === 'string' ? page.name : null,
          status: c.status,
          status_reason: c.status_reason ?? null,
          display_name_format: typeof messages.display_name_format === 'string' ? messages.display_name_format : 'first_name',
          human_agent_tag: messages.human_agent_tag === true,
        };
      }
      this.channels = out;
    } catch {
      /* names fall back to "Messenger" */
    }
  }

  /** The team directory: GET /team when the server has it, else the staff
   *  list (admins), else only destinations and what events tell us. */
  async loadTeam(): Promise<void> {
    try {
      const data = await unwrap(api.GET('/api/v1/destinations'));
      this.destinations = data.items;
    } catch {
      this.destinations = [];
    }
    const members = await this.fetchTeam();
    if (members) {
      this.team = members;
      const names: Record<string, string> = { ...this.staffNames };
      for (const m of members) names[m.id] = m.name;
      this.staffNames = names;
    }
  }

  private async fetchTeam(): Promise<TeamMember[] | null> {
    if (HAS_TEAM_ENDPOINT) try {
      const data = await unwrap(api.GET('/api/v1/team'));
      return data.items.map((m) => memberFrom(m));
    } catch {
      /* not on this server yet */
    }
    if (!session.isAdmin) return null;
    try {
      const data = await unwrap(api.GET('/api/v1/staff'));
      return data.items.map((s) =>
        memberFrom({ ...(s as unknown as Loose), destination_ids: this.destinations.filter((d) => d.member_ids.includes(s.id)).map((d) => d.id) }),
      );
    } catch {
      return null;
    }
  }

  nameOf(staffId: string | null | undefined): string {
    if (!staffId) return 'someone';
    if (staffId === this.me) return 'you';
    return this.staffNames[staffId] ?? 'another agent';
  }

  channelName(id: string | null | undefined): string {
    return (id && this.channels[id]?.name) || 'Messenger';
  }

  /** An enquiry with its visitor (cached; fills the visitor directory). */
  detail(enquiryId: string, fresh = false): Promise<EnquiryDetail | null> {
    let p = fresh ? undefined : this.detailCache.get(enquiryId);
    if (p === undefined) {
      p = unwrap(api.GET('/api/v1/enquiries/{id}', { params: { path: { id: enquiryId } } }))
        .then((d) => {
          this.rememberVisitor(d.visitor);
          return d;
        })
        .catch(() => {
          this.detailCache.delete(enquiryId);
          return null;
        });
      this.detailCache.set(enquiryId, p);
    }
    return p as Promise<EnquiryDetail | null>;
  }

  rememberVisitor(v: Visitor): void {
    this.visitors[v.id] = v;
    if (this.chats.some((c) => c.visitor_id === v.id && (c.visitor_name !== v.name || c.picture_url !== (v.picture_url ?? null)))) {
      this.chats = this.chats.map((c) =>
        c.visitor_id === v.id ? { ...c, visitor_name: v.name, picture_url: v.picture_url ?? c.picture_url } : c,
      );
    }
    if (this.offers.some((o) => o.visitor_id === v.id)) {
      this.offers = this.offers.map((o) =>
        o.visitor_id === v.id ? { ...o, visitor_name: v.name, picture_url: v.picture_url ?? o.picture_url } : o,
      );
    }
  }

  private onMessage(raw: Message, created: boolean): void {
    const message = normalizeMessage(raw);
    const chat = this.chats.find((c) => c.id === message.enquiry_id);
    if (!chat) return;
    const viewing = this.viewing === chat.id && this.visible;
    const humanAgent = chat.human_agent_tag ?? this.channels[chat.channel_id]?.human_agent_tag ?? false;
    if (created) this.chats = chatsWithMessage(this.chats, message, viewing, humanAgent ? HUMAN_AGENT_MS : DAY_MS);
    if (created && message.direction === 'inbound' && message.author === 'visitor' && !viewing) {
      chime('message');
      notifyHidden(chat.visitor_name, previewOf(message) ?? 'New message', `chat-${chat.id}`, () => router.navigate(`/chats/${chat.id}`));
    }
  }

  markRead(id: string): void {
    this.chats = chatsRead(this.chats, id);
  }

  preview(id: string, newest: Message): void {
    const next = chatsWithPreview(this.chats, id, newest);
    if (next !== this.chats) this.chats = next;
  }

  /** An enquiry left my desk (closed, transferred, taken back). */
  private lose(enquiryId: string, why: string | null): void {
    const had = this.chats.some((c) => c.id === enquiryId);
    this.chats = this.chats.filter((c) => c.id !== enquiryId);
    this.offers = this.offers.filter((o) => o.enquiry_id !== enquiryId || o.state === 'taken');
    this.missed = this.missed.filter((m) => m.enquiry_id !== enquiryId);
    if (had && why) {
      this.ended[enquiryId] = why;
      if (this.viewing !== enquiryId) this.notice = { text: why, tone: 'warn' };
    }
  }

  // Offers

  private onOffer(data: Loose): void {
    const offer = offerFromApi((data.offer ?? {}) as Loose, data);
    if (this.offers.some((o) => o.id === offer.id)) return;
    this.offers = offersWith(this.offers, offer);
    chime('offer');
    void this.enrichOffer(offer.id).then(() => {
      const o = this.offers.find((x) => x.id === offer.id);
      if (!o || o.state !== 'open') return;
      notifyHidden(`New enquiry: ${o.visitor_name ?? 'a visitor'}`, o.first_text ?? this.channelName(o.channel_id), `offer-${o.id}`, () =>
        router.navigate('/chats'),
      );
    });
  }

  private async enrichOffer(offerId: string): Promise<void> {
    const o = this.offers.find((x) => x.id === offerId);
    if (!o) return;
    const [detail, first] = await Promise.all([
      o.visitor_name && o.picture_url ? null : this.detail(o.enquiry_id),
      o.first_text ? null : this.firstMessage(o.enquiry_id),
    ]);
    this.offers = this.offers.map((x) =>
      x.id !== offerId
        ? x
        : {
            ...x,
            visitor_id: x.visitor_id || detail?.visitor.id || '',
            channel_id: x.channel_id || detail?.channel_id || '',
            visitor_name: x.visitor_name ?? detail?.visitor.name ?? null,
            picture_url: x.picture_url ?? detail?.visitor.picture_url ?? null,
            first_text: x.first_text ?? first,
          },
    );
  }

  private async firstMessage(enquiryId: string): Promise<string | null> {
    try {
      const page = await unwrap(api.GET('/api/v1/enquiries/{id}/messages', { params: { path: { id: enquiryId }, query: { limit: 5 } } }));
      const first = page.items.find((m) => m.direction === 'inbound' && m.author === 'visitor') ?? page.items[0];
      return first ? previewOf(first) : null;
    } catch {
      return null;
    }
  }

  private setOffer(id: string, patch: Partial<OfferItem>): void {
    this.offers = this.offers.map((o) => (o.id === id ? { ...o, ...patch } : o));
  }

  dropOffer(id: string): void {
    this.offers = this.offers.filter((o) => o.id !== id);
  }

  private offerTaken(id: string, winner: string): void {
    if (!this.offers.some((o) => o.id === id)) return;
    this.setOffer(id, { state: 'taken', taken_by: winner });
    setTimeout(() => this.dropOffer(id), 6000);
  }

  async accept(id: string): Promise<void> {
    const o = this.offers.find((x) => x.id === id);
    if (!o || o.state !== 'open') return;
    this.setOffer(id, { state: 'busy', error: null });
    try {
      await postJson('/api/v1/offers/{id}/accept', { id });
      this.dropOffer(id);
      await this.loadChats();
      if (o.first_text)
        this.chats = this.chats.map((c) => (c.id === o.enquiry_id && !c.last_text ? { ...c, last_text: o.first_text, last_from: 'visitor' } : c));
      router.navigate(`/chats/${o.enquiry_id}`);
    } catch (e) {
      const current = this.offers.find((x) => x.id === id);
      if (current?.state === 'taken') return;
      this.setOffer(id, { state: 'open', error: describe(e) });
    }
  }

  async decline(id: string): Promise<void> {
    this.setOffer(id, { state: 'busy', error: null });
    try {
      await postJson('/api/v1/offers/{id}/decline', { id });
      this.dropOffer(id);
    } catch (e) {
      this.setOffer(id, { state: 'open', error: describe(e) });
    }
  }

  /** The newest offer still open (for the keyboard shortcut). */
  get newestOffer(): OfferItem | null {
    return this.offers.find((o) => o.state === 'open') ?? null;
  }

  // Missed

  async pickUp(enquiryId: string): Promise<void> {
    this.missed = this.missed.map((m) => (m.enquiry_id === enquiryId ? { ...m, busy: true, error: null } : m));
    try {
      await postJson('/api/v1/enquiries/{id}/pick-up', { id: enquiryId });
      this.missed = this.missed.filter((m) => m.enquiry_id !== enquiryId);
      await this.loadChats();
      router.navigate(`/chats/${enquiryId}`);
    } catch (e) {
      this.missed = this.missed.map((m) => (m.enquiry_id === enquiryId ? { ...m, busy: false, error: describe(e) } : m));
    }
  }

  // Availability

  async setAvailability(availability: Availability): Promise<void> {
    const staff = await unwrap<Schemas['StaffView']>(api.PUT('/api/v1/me/availability', { body: { availability } }));
    session.updateStaff(staff as Schemas['StaffView']);
    if (availability !== 'available') this.offers = this.offers.filter((o) => o.state === 'taken');
  }

  private onAvailability(d: Loose): void {
    const id = typeof d.staff_id === 'string' ? d.staff_id : null;
    const availability = d.availability === 'available' || d.availability === 'away' || d.availability === 'offline' ? d.availability : null;
    if (!id || !availability) return;
    if (id === this.me && session.staff && session.staff.availability !== availability) {
      session.updateStaff({ ...session.staff, availability });
    }
    if (this.team) this.team = this.team.map((m) => (m.id === id ? memberFrom({ ...raw(m), ...d, id }) : m));
  }

  // Conversation actions that change the desk

  async close(enquiryId: string): Promise<void> {
    await postJson('/api/v1/enquiries/{id}/close', { id: enquiryId });
    this.lose(enquiryId, null);
  }

  async transfer(enquiryId: string, to: { destination_id: string } | { staff_id: string }): Promise<void> {
    await postJson('/api/v1/enquiries/{id}/transfer', { id: enquiryId }, to);
    this.lose(enquiryId, null);
  }
}

function raw(m: TeamMember): Loose {
  return { ...m, name: m.name };
}

function memberFrom(m: Loose): TeamMember {
  const first = typeof m.first_name === 'string' ? m.first_name : '';
  const last = typeof m.last_name === 'string' ? m.last_name : '';
  const name =
    (typeof m.name === 'string' && m.name) ||
    (typeof m.display_name === 'string' && m.display_name) ||
    `${first} ${last}`.trim() ||
    (typeof m.email === 'string' ? m.email : 'Staff member');
  const n = (v: unknown) => (typeof v === 'number' ? v : null);
  const dests = Array.isArray(m.destination_ids)
    ? (m.destination_ids as unknown[]).map(String)
    : Array.isArray(m.destinations)
      ? (m.destinations as unknown[]).map((d) => (typeof d === 'string' ? d : String((d as Loose).id)))
      : [];
  return {
    id: String(m.id),
    name,
    availability: typeof m.availability === 'string' ? m.availability : null,
    active: n(m.active_count ?? m.active ?? m.active_enquiries),
    capacity: n(m.capacity),
    destination_ids: dests,
  };
}

export const desk = new Desk();
