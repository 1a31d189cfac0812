// Visitor names for enquiry lists: the list items carry only visitor_id, so
// names come from GET /api/v1/enquiries/{id} (cached per visitor).
import { get, type Schemas } from '../api';

export type EnquiryDetail = Schemas['EnquiryDetailView'];
type Visitor = EnquiryDetail['visitor'];

class Visitors {
  byId = $state<Record<string, Visitor>>({});
  private pending = new Set<string>();

  /** Loads the visitors of these enquiries that are not known yet (a few at a time). */
  async fill(enquiries: { id: string; visitor_id: string }[]): Promise<void> {
    const todo = enquiries.filter((e) => !this.byId[e.visitor_id] && !this.pending.has(e.visitor_id));
    for (const e of todo) this.pending.add(e.visitor_id);
    const queue = [...todo];
    const worker = async () => {
      for (let e = queue.shift(); e; e = queue.shift()) {
        try {
          const detail = await get<EnquiryDetail>(`/api/v1/enquiries/${e.id}`);
          this.byId = { ...this.byId, [detail.visitor.id]: detail.visitor };
        } catch {
          /* the row shows "Visitor" */
        } finally {
          this.pending.delete(e.visitor_id);
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }

  name(id: string): string {
    return this.byId[id]?.name ?? '…';
  }
}

export const visitors = new Visitors();
