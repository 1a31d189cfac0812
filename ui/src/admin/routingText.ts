// Routing decisions (the steps of domain::routing::trace) as sentences.
import { directory } from './data.svelte';

export type Step = { step: string; [k: string]: unknown };
export type Outcome = {
  outcome: 'offer' | 'missed' | string;
  destination?: string | null;
  agents?: string[];
  via_sticky?: boolean;
  offer_timeout_secs?: number;
  reason?: string;
};

const VERDICT: Record<string, string> = {
  offered: 'offered',
  unavailable: 'not available',
  at_capacity: 'at capacity',
  timed_out: 'let an earlier offer time out',
  declined: 'declined it earlier',
  outside_hours: 'outside its opening hours',
  already_tried: 'already tried',
  not_found: 'no longer exists',
  other_agent_idle_longer: 'someone else has been idle longer',
};

const DESTINATION_VERDICT: Record<string, string> = {
  ...VERDICT,
  offered: 'took its turn',
  unavailable: 'nobody there is available',
  at_capacity: 'everyone there is at capacity',
};

const MISSED: Record<string, string> = {
  outside_hours: 'no destination’s opening hours cover that moment',
  no_agent_available: 'nobody in the channel’s destinations can take it',
  all_destinations_tried: 'every destination was already tried',
};

export const TRIGGER: Record<string, string> = {
  opened: 'The enquiry opened',
  offer_timed_out: 'An offer timed out',
  declined: 'An offer was declined',
  agent_unavailable: 'The agent became unavailable',
  away_grace_ended: 'The agent was away too long',
  agent_removed: 'The agent was removed',
  transfer: 'It was transferred',
  missed_retry: 'Retried after being missed',
};

export const verdict = (v: unknown): string => VERDICT[String(v)] ?? String(v).replaceAll('_', ' ');
export const missedReason = (v: unknown): string => MISSED[String(v)] ?? String(v).replaceAll('_', ' ');

const dest = (id: unknown) => directory.destinationName(id as string);
const who = (id: unknown) => directory.personName(id as string);

export function names(ids: string[] | undefined): string {
  const list = (ids ?? []).map((id) => who(id));
  if (list.length <= 1) return list[0] ?? 'nobody';
  return `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
}

/** One step as a sentence. */
export function stepText(s: Step): string {
  switch (s.step) {
    case 'rule':
      return `${String(s.rule)[0]?.toUpperCase()}${String(s.rule).slice(1)} rule${s.sticky ? ', sticky routing on' : ''}.`;
    case 'sticky_agent':
      return `Sticky routing: ${who(s.staff_id)} served this visitor before — ${verdict(s.result)}.`;
    case 'tally':
      return `${dest(s.destination)}: ${s.percent}% share, ${s.count} offered so far.`;
    case 'destination':
      return `${dest(s.destination)}: ${DESTINATION_VERDICT[String(s.result)] ?? verdict(s.result)}.`;
    case 'agent':
      return `${who(s.staff_id)} (${dest(s.destination)}): ${verdict(s.result)}.`;
    case 'offered':
      return `Offered to ${names(s.agents as string[])}${s.destination ? ` in ${dest(s.destination)}` : ''}${s.via_sticky ? ' (sticky)' : ''}.`;
    case 'missed':
      return `Missed: ${missedReason(s.reason)}.`;
    default:
      return JSON.stringify(s);
  }
}

/** "would go to Sam Seller in Sales, because …" */
export function outcomeSentence(outcome: Outcome, steps: Step[]): string {
  if (outcome.outcome === 'offer') {
    const where = outcome.destination ? ` in ${dest(outcome.destination)}` : '';
    const skipped = steps
      .filter((s) => s.step === 'destination' && s.result !== 'offered')
      .map((s) => `${dest(s.destination)} was skipped (${DESTINATION_VERDICT[String(s.result)] ?? verdict(s.result)})`);
    let because: string;
    if (outcome.via_sticky) because = 'sticky routing sends a returning visitor to the agent who served them before';
    else if (skipped.length) because = `${skipped.join('; ')}`;
    else {
      const rule = steps.find((s) => s.step === 'rule')?.rule;
      because =
        rule === 'percentage'
          ? 'it is that destination’s turn in the percentage split'
          : rule === 'time'
            ? 'its opening hours cover that moment'
            : 'it is first in the order and someone there can take it';
    }
    return `would be offered to ${names(outcome.agents)}${where}, because ${because}.`;
  }
  return `would be missed (the away message is sent), because ${missedReason(outcome.reason)}.`;
}
