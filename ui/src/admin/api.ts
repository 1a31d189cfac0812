// The admin console's calls and the types it edits, from the server's
// OpenAPI document (schema.d.ts). The routing editor works on one flat form
// (`RoutingForm`) and turns it into the API's `RoutingSettings` union.
import { api, unwrap, type Schemas } from '../api/client';

export type { Schemas };
export type Channel = Schemas['ChannelView'];
export type Destination = Schemas['DestinationView'];
export type Staff = Schemas['StaffView'];
export type LoginView = Schemas['LoginView'];
export type CheckReport = Schemas['CheckReport'];

export type RoutingSettings = Schemas['RoutingSettings'];
export type RuleKind = RoutingSettings['rule'];
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export type WeeklyHours = Schemas['WeeklyHours'];
export type DateException = Schemas['DateException'];
export type Schedule = Schemas['RoutingSchedule'];
/** One destination row of the editor, whatever the rule. */
export type RoutingDestination = { id: string; percentage?: number; schedule?: Schedule };
export type RoutingForm = {
  rule: RuleKind;
  sticky: boolean;
  time_zone: string;
  destinations: RoutingDestination[];
};
export type DisplayNameFormat = Schemas['DisplayNameFormat'];
export type MessageSettings = Schemas['MessageSettings'];

/** domain::messages::DEFAULT_WELCOME_MESSAGE / DEFAULT_AWAY_MESSAGE. */
export const DEFAULT_WELCOME =
  'Thanks for your message! One of our team will be with you shortly.';
export const DEFAULT_AWAY =
  'Sorry, nobody is available to answer right now. We have your message and will reply as soon as we can.';
export const CHANNEL_NAME_MAX = 40;
export const MESSAGE_MAX = 2000;
export const MAX_DESTINATIONS = 5;

export function routingOf(channel: Channel): RoutingForm {
  const r = channel.routing;
  return {
    rule: r.rule ?? 'alternative',
    sticky: !!r.sticky,
    time_zone: r.time_zone ?? 'UTC',
    destinations: (r.destinations ?? []).map((d: RoutingDestination) => ({ ...d })),
  };
}

/** The editor's form as the API's settings for its rule. */
export function routingSettings(form: RoutingForm): RoutingSettings {
  const base = { sticky: form.sticky, time_zone: form.time_zone };
  switch (form.rule) {
    case 'percentage':
      return { ...base, rule: 'percentage', destinations: form.destinations.map((d) => ({ id: d.id, percentage: d.percentage ?? 0 })) };
    case 'time':
      return { ...base, rule: 'time', destinations: form.destinations.map((d) => ({ id: d.id, schedule: d.schedule ?? { weekly: {} } })) };
    default:
      return { ...base, rule: 'alternative', destinations: form.destinations.map((d) => ({ id: d.id })) };
  }
}

export function messagesOf(channel: Channel): MessageSettings {
  const m: Partial<MessageSettings> = channel.messages ?? {};
  return {
    display_name_format: m.display_name_format ?? 'first_name',
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
