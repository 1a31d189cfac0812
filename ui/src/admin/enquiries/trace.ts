// An enquiry's routing trace as a readable timeline:
// "offered to Sam (Sales) — timed out after 30 s — failed over to Support — accepted by Sasha".
import type { Schemas } from '../api';
import { directory } from '../data.svelte';
import { byTime, duration } from '../format';
import { missedReason, names, stepText, TRIGGER, type Outcome, type Step } from '../routingText';

export type Trace = Schemas['RoutingTraceResponse'];
export type TimelineItem = {
  at: string;
  kind: 'offer' | 'missed' | 'accepted' | 'ended' | 'info';
  text: string;
  /** The few words the one-line summary uses (none: left out of it). */
  short?: string;
  detail?: string[];
};

const person = (id: string | null | undefined) => directory.personName(id);
const team = (id: string | null | undefined) => (id ? directory.destinationName(id) : null);

export function timeline(trace: Trace): TimelineItem[] {
  const items: TimelineItem[] = [];
  let lastDestination: string | null = null;
  for (const d of trace.decisions) {
    const outcome = d.outcome as unknown as Outcome;
    const steps = d.steps as unknown as Step[];
    const trigger = TRIGGER[d.trigger] ?? d.trigger;
    if (outcome.outcome === 'offer') {
      const where = team(outcome.destination);
      const moved = lastDestination && where && where !== lastDestination;
      const who = names(outcome.agents);
      const text = moved
        ? `Failed over to ${where}: offered to ${who}`
        : `Offered to ${who}${where ? ` (${where})` : ''}${outcome.via_sticky ? ' — sticky routing, they served this visitor before' : ''}`;
      const short = moved ? `failed over to ${where} — offered to ${who}` : `offered to ${who}${where ? ` (${where})` : ''}${outcome.via_sticky ? ' (sticky)' : ''}`;
      items.push({ at: d.at, kind: 'offer', text, short, detail: [`${trigger}.`, ...steps.map(stepText)] });
      lastDestination = where ?? lastDestination;
    } else {
      const text = `Missed: ${missedReason(outcome.reason)}`;
      items.push({ at: d.at, kind: 'missed', text, short: `missed (${missedReason(outcome.reason)})`, detail: [`${trigger}.`, ...steps.map(stepText)] });
    }
  }
  for (const o of trace.offers) {
    if (!o.resolved_at) continue;
    const who = person(o.staff_id);
    const where = team(o.destination_id);
    const label = `${who}${where ? ` (${where})` : ''}`;
    const waited = duration(new Date(o.resolved_at).getTime() - new Date(o.created_at).getTime());
    const text: Record<string, string> = {
      accepted: `Accepted by ${label}`,
      expired: `${label} did not answer — timed out after ${waited}`,
      declined: `${label} declined after ${waited}`,
      withdrawn: `Offer to ${label} withdrawn (they became unavailable or the enquiry moved on)`,
      taken: `Offer to ${label} ended: someone else accepted`,
    };
    const short: Record<string, string> = {
      accepted: `accepted by ${who}`,
      expired: `timed out after ${waited}`,
      declined: `declined by ${who}`,
    };
    items.push({
      at: o.resolved_at,
      kind: o.status === 'accepted' ? 'accepted' : 'ended',
      text: text[o.status] ?? `Offer to ${label}: ${o.status}`,
      short: short[o.status],
    });
  }
  return items.sort((a, b) => byTime(a.at, b.at) || (a.kind === 'offer' ? 1 : -1));
}

/** The whole story in one line. */
export function summary(items: TimelineItem[]): string {
  const line = items
    .map((i) => i.short)
    .filter(Boolean)
    .join(' — ');
  return line.replace(/^./, (c) => c.toUpperCase());
}
