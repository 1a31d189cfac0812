// The account's destinations and staff, loaded once per admin visit and
// reloaded after a change; most admin screens name things by these.
import { items, type Destination, type Staff } from './api';

class Directory {
  destinations = $state<Destination[]>([]);
  staff = $state<Staff[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  private pending: Promise<void> | null = null;

  /** Loads once; `force` reloads. */
  load(force = false): Promise<void> {
    if (this.loaded && !force) return Promise.resolve();
    if (this.pending && !force) return this.pending;
    this.pending = (async () => {
      try {
        const [destinations, staff] = await Promise.all([
          items<Destination>('/api/v1/destinations'),
          items<Staff>('/api/v1/staff'),
        ]);
        this.destinations = destinations;
        this.staff = staff;
        this.loaded = true;
        this.error = null;
      } catch (e) {
        this.error = e instanceof Error ? e.message : String(e);
      } finally {
        this.pending = null;
      }
    })();
    return this.pending;
  }

  destination(id: string | null | undefined): Destination | undefined {
    return this.destinations.find((d) => d.id === id);
  }

  destinationName(id: string | null | undefined): string {
    if (!id) return '—';
    return this.destination(id)?.name ?? 'a deleted destination';
  }

  person(id: string | null | undefined): Staff | undefined {
    return this.staff.find((s) => s.id === id);
  }

  personName(id: string | null | undefined): string {
    if (!id) return '—';
    const s = this.person(id);
    return s ? s.first_name || s.display_name : 'a removed staff member';
  }
}

export const directory = new Directory();
