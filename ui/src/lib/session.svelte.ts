// Who is logged in. Loaded from GET /api/v1/me at start; a 401 anywhere
// sends the user to the login page and back to where they were.
import { api, setCsrfToken, setUnauthorizedHandler, unwrap, type Schemas } from '../api/client';
import { router } from './router.svelte';

export type Staff = Schemas['StaffView'];
export type Account = Schemas['AccountView'];

type State =
  | { status: 'loading' }
  | { status: 'anonymous' }
  | { status: 'ready'; staff: Staff; account: Account };

class Session {
  state = $state<State>({ status: 'loading' });

  get staff(): Staff | null {
    return this.state.status === 'ready' ? this.state.staff : null;
  }

  get isAdmin(): boolean {
    return this.staff?.role === 'admin';
  }

  /** Reads the session cookie's owner; anonymous on 401. */
  async load(): Promise<void> {
    const { data, response } = await api.GET('/api/v1/me');
    if (response.ok && data) {
      setCsrfToken(data.csrf_token ?? null);
      this.state = { status: 'ready', staff: data.staff, account: data.account };
    } else {
      this.state = { status: 'anonymous' };
    }
  }

  async login(email: string, password: string): Promise<void> {
    const data = await unwrap(api.POST('/api/v1/auth/login', { body: { email, password } }));
    setCsrfToken(data.csrf_token);
    this.state = { status: 'ready', staff: data.staff, account: data.account };
  }

  async logout(): Promise<void> {
    try {
      await api.POST('/api/v1/auth/logout');
    } finally {
      this.ended();
    }
  }

  /** The staff record changed (availability, profile). */
  updateStaff(staff: Staff): void {
    if (this.state.status === 'ready') this.state = { ...this.state, staff };
  }

  /** The session is gone: back to the login page, remembering where we were. */
  ended(): void {
    setCsrfToken(null);
    this.state = { status: 'anonymous' };
    const here = location.pathname + location.search;
    if (!here.startsWith('/login')) {
      router.navigate(here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`, { replace: true });
    }
  }
}

export const session = new Session();
setUnauthorizedHandler(() => {
  if (session.state.status === 'ready') session.ended();
});
