// The live events the server sends on /api/v1/events, typed from the OpenAPI
// document (`LiveEvent`: one envelope `{seq, type, at, data}` per kind; see
// docs/events.md). `live.on(kind, handler)` hands `data` typed by `kind`.
import type { Schemas } from '../api/client';

/** A message as the conversation shows it (GET …/messages items, and events). */
export type Message = Schemas['MessageView'];
export type Offer = Schemas['OfferView'];
export type Enquiry = Schemas['EnquiryView'];
export type Visitor = Schemas['VisitorView'];

type AnyEvent = Schemas['LiveEvent'];

/** Every event kind. */
export type EventKind = AnyEvent['type'];

/** The `data` of each kind. */
export type EventMap = { [E in AnyEvent as E['type']]: E['data'] };

/** One event as delivered: `{seq, type, at, data}`. */
export type LiveEvent<K extends string = string> = K extends EventKind
  ? Extract<AnyEvent, { type: K }>
  : { seq: number; type: string; at: string; data: unknown };
