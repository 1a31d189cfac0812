import { describe, expect, it } from 'vitest';
import { directory } from '../data.svelte';
import { summary, timeline, type Trace } from './trace';

const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, s)).toISOString();

describe('routing trace timeline', () => {
  it('tells a failover in words', () => {
    directory.destinations = [
      { id: 'd-sales', name: 'Sales', member_ids: ['s-sam'], strategy: 'ring_all', offer_timeout_secs: 30, created_at: at(0), updated_at: at(0) },
      { id: 'd-support', name: 'Support', member_ids: ['s-sasha'], strategy: 'ring_all', offer_timeout_secs: 30, created_at: at(0), updated_at: at(0) },
    ];
    directory.staff = [
      { id: 's-sam', first_name: 'Sam', last_name: 'Seller', display_name: 'Sam S.', email: 'sam@x', role: 'agent', availability: 'available', capacity: 5, created_at: at(0), updated_at: at(0) },
      { id: 's-sasha', first_name: 'Sasha', last_name: 'Helper', display_name: 'Sasha H.', email: 'sasha@x', role: 'agent', availability: 'available', capacity: 5, created_at: at(0), updated_at: at(0) },
    ];
    const trace = {
      enquiry_id: 'e1',
      decisions: [
        { id: 't1', trigger: 'opened', at: at(0), outcome: { outcome: 'offer', destination: 'd-sales', agents: ['s-sam'], via_sticky: false }, steps: [{ step: 'rule', rule: 'alternative', sticky: false }] },
        { id: 't2', trigger: 'offer_timed_out', at: at(30), outcome: { outcome: 'offer', destination: 'd-support', agents: ['s-sasha'], via_sticky: false }, steps: [{ step: 'destination', destination: 'd-sales', result: 'timed_out' }] },
      ],
      offers: [
        { id: 'o1', enquiry_id: 'e1', staff_id: 's-sam', destination_id: 'd-sales', status: 'expired', via_sticky: false, created_at: at(0), deadline_at: at(30), resolved_at: at(30) },
        { id: 'o2', enquiry_id: 'e1', staff_id: 's-sasha', destination_id: 'd-support', status: 'accepted', via_sticky: false, created_at: at(30), deadline_at: at(60), resolved_at: at(42) },
      ],
    } as unknown as Trace;
    const items = timeline(trace);
    expect(summary(items)).toBe('Offered to Sam (Sales) — timed out after 30 s — failed over to Support — offered to Sasha — accepted by Sasha');
    expect(items.map((i) => i.text)).toEqual([
      'Offered to Sam (Sales)',
      'Sam (Sales) did not answer — timed out after 30 s',
      'Failed over to Support: offered to Sasha',
      'Accepted by Sasha (Support)',
    ]);
  });
});
