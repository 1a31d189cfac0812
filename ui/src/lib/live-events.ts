// The live events the server sends on /api/v1/events (docs/events.md), typed.
// When the OpenAPI document carries the event enum, these types come from
// schema.d.ts instead; until then they follow docs/events.md.
import type { Schemas } from '../api/client';

/** A message as the conversation shows it (GET …/messages items). */
export type Message = Schemas['Page_MessageView']['items'][number];
export type Offer = Schemas['OfferView'];
export type Enquiry = Schemas['EnquiryView'];
export type Visitor = Schemas['VisitorView'];

type MessageEvent = { enquiry_id: string | null; visitor_id?: string; message: Message };

export interface EventMap {
  'message.created': MessageEvent;
  'message.updated': MessageEvent;
  /** Outbox status changes (older servers; newer send `message.updated`). */
  'message.status': {
    message_id: string;
    enquiry_id: string | null;
    visitor_id: string;
    status: Message['status'];
    failure_reason: string | null;
    message?: Partial<Message>;
  };
  'enquiry.opened': { enquiry: Enquiry };
  'enquiry.closed': { enquiry_id: string; closed_by: string | null; reason: string };
  'enquiry.transferred': {
    enquiry_id: string;
    from_staff_id: string | null;
    by_staff_id: string;
    to: { destination_id?: string; staff_id?: string };
  };
  'enquiry.assigned': {
    enquiry_id: string;
    channel_id: string;
    visitor_id: string;
    staff_id: string;
    assigned_at: string;
    via: 'offer' | 'pick_up' | string;
  };
  'enquiry.missed': { enquiry_id: string; channel_id: string; visitor_id: string; reason: string; missed_at: string };
  'enquiry.unassigned': { enquiry_id: string; channel_id: string; visitor_id: string; staff_id: string; reason: string };
  'offer.created': { offer: Offer; channel_id: string; visitor_id: string } & Record<string, unknown>;
  'offer.withdrawn': { offer_id: string; enquiry_id: string; reason?: string };
  'offer.taken': { offer_id: string; enquiry_id: string; staff_id: string };
  'visitor.updated': { visitor: Visitor };
  'channel.disconnected': { channel_id: string; page_id: string; reason: string; at: string };
  'channel.reconnected': { channel_id: string; page_id: string; at: string };
  'channel.created': Schemas['ChannelView'];
  'channel.updated': { channel_id: string; status: string; name: string };
  'channel.deleted': { channel_id: string; page_id: string };
  /** A staff member's availability changed (planned; any shape with these fields). */
  'staff.availability': { staff_id: string; availability: string } & Record<string, unknown>;
}

export type EventKind = keyof EventMap;

/** One event as delivered: `{seq, type, at, data}`. */
export interface LiveEvent<K extends string = string> {
  seq: number;
  type: K;
  at: string;
  data: K extends EventKind ? EventMap[K] : unknown;
}
