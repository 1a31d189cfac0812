// The admin console's calls. Bodies and answers use the server's schema
// names; the channel's routing and message settings are typed here from the
// Rust types (domain::routing::settings, domain::messages) until the OpenAPI
// document describes them fully.
import { api, unwrap, type Schemas } from '../api/client';

export type { Schemas };
export type Channel = Schemas['ChannelView'];
export type Destination = Schemas['DestinationView'];
export type Staff = Schemas['StaffView'];
export type LoginView = Schemas['LoginView'];
export type CheckReport = Schemas['CheckReport'];

export type RuleKind = 'alternative' | 'percentage' | 'time';
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export type WeeklyHours = Partial<Record<Weekday, string[]>>;
export type DateException = { date: string; closed?: boolean; hours?: string[] };
export type Schedule = { weekly: WeeklyHours; exceptions?: DateException[] };
export type RoutingDestination = { id: string; percentage?: number; schedule?: Schedule };
export type RoutingSettings = {
  rule: RuleKind;
  sticky: boolean;
  time_zone: string;
  destinations: RoutingDestination[];
};
export type DisplayNameFormat = 'none' | 'first_name' | 'display_name';
export type MessageSettings = {
  display_name_format: DisplayNameFormat;
  welcome_message: string;
  away_message: string;
  human_agent_tag: boolean;
};

/** domain::messages::DEFAULT_WELCOME_MESSAGE / DEFAULT_AWAY_MESSAGE. */
export const DEFAULT_WELCOME =
  'Thanks for your message! One of our team will be with you shortly.';
export const DEFAULT_AWAY =
  'Sorry, nobody is available to answer right now. We have your message and will reply as soon as we can.';
export const CHANNEL_NAME_MAX = 40;
export const MESSAGE_MAX = 2000;
export const MAX_DESTINATIONS = 5;

export function routingOf(channel: Channel): RoutingSettings {
  const r = channel.routing as Partial<RoutingSettings>;
  return {
    rule: (r.rule as RuleKind) ?? 'alternative',
    sticky: !!r.sticky,
    time_zone: r.time_zone ?? 'UTC',
    destinations: (r.destinations ?? []).map((d) => ({ ...d })),
  };
}

export function messagesOf(channel: Channel): MessageSettings {
  const m = channel.messages as Partial<MessageSettings>;
  return {
    display_name_format: (m.display_name_format as DisplayNameFormat) ?? 'first_name',
    welcome_message: m.welcome_message ?? DEFAULT_WELCOME,
    away_message: m.away_message ?? DEFAULT_AWAY,
    human_agent_tag: !!m.human_agent_tag,
  };
}

type Query = Record<string, string | number | undefined | null>;

function cleanQuery(query?: Query): Record<string, string> | undefined {
  if (!query) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') out[k] = String(v);
  return out;
}

// Loose wrappers: the answer's type is named by the caller (from Schemas).
/* eslint-disable @typescript-eslint/no-explicit-any */
const raw = api as any;
export const get = <T>(path: string, query?: Query): Promise<T> =>
  unwrap<T>(raw.GET(path, { params: { query: cleanQuery(query) } }));
export const post = <T>(path: string, body?: unknown): Promise<T> =>
  unwrap<T>(raw.POST(path, body === undefined ? {} : { body }));
export const patch = <T>(path: string, body: unknown): Promise<T> => unwrap<T>(raw.PATCH(path, { body }));
export const put = <T>(path: string, body: unknown): Promise<T> => unwrap<T>(raw.PUT(path, { body }));
export const del = (path: string): Promise<unknown> => unwrap(raw.DELETE(path));

export const items = async <T>(path: string, query?: Query): Promise<T[]> =>
  (await get<{ items: T[] }>(path, query)).items;
