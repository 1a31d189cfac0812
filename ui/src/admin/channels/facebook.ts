// Facebook Login in a popup: start a login, open Facebook's dialog, and learn
// how it ended — from the callback page's postMessage to this window, or (when
// the opener link is lost, another origin, or a CSP blocks the page's script)
// by polling GET /api/v1/channels/facebook/logins/{id}.
import { post, get, type LoginView, type Schemas } from '../api';

export type LoginStarted = Schemas['LoginStarted'];

export class LoginCancelled extends Error {
  constructor() {
    super('The Facebook Login window was closed before finishing. Click the Facebook icon to try again.');
  }
}

/** Must be called from a click (the popup is opened at once, before any await). */
export async function facebookLogin(signal?: AbortSignal): Promise<LoginView> {
  const w = 640;
  const h = 720;
  const left = Math.max(0, window.screenX + (window.outerWidth - w) / 2);
  const top = Math.max(0, window.screenY + (window.outerHeight - h) / 2);
  const popup = window.open('', 'omnidesk-facebook-login', `popup,width=${w},height=${h},left=${left},top=${top}`);
  if (!popup) {
    throw new Error('The browser blocked the Facebook Login window. Allow pop-ups for this site and try again.');
  }
  let started: LoginStarted;
  try {
    started = await post<LoginStarted>('/api/v1/channels/facebook/login');
  } catch (e) {
    popup.close();
    throw e;
  }
  popup.location.href = started.dialog_url;

  return new Promise<LoginView>((resolve, reject) => {
    let settled = false;
    let polling = false;
    const view = () => get<LoginView>(`/api/v1/channels/facebook/logins/${encodeURIComponent(started.login_id)}`);
    const cleanup = () => {
      settled = true;
      clearInterval(timer);
      window.removeEventListener('message', onMessage);
      signal?.removeEventListener('abort', onAbort);
      if (!popup.closed) popup.close();
    };
    const settle = (login: LoginView) => {
      if (settled) return;
      cleanup();
      resolve(login);
    };
    const fail = (e: unknown) => {
      if (settled) return;
      cleanup();
      reject(e);
    };
    const check = async (final: boolean) => {
      if (polling || settled) return;
      polling = true;
      try {
        const login = await view();
        if (login.status !== 'started') settle(login);
        else if (final) fail(new LoginCancelled());
      } catch (e) {
        if (final) fail(e);
      } finally {
        polling = false;
      }
    };
    const onMessage = (event: MessageEvent) => {
      const data = event.data as { type?: string; ok?: boolean; login_id?: string; error?: string } | null;
      if (event.origin !== location.origin || data?.type !== 'omnidesk.facebook_login') return;
      if (data.ok) void check(false);
      else fail(new Error(data.error ?? 'Facebook Login failed.'));
    };
    const onAbort = () => fail(new LoginCancelled());
    window.addEventListener('message', onMessage);
    signal?.addEventListener('abort', onAbort);
    const timer = setInterval(() => {
      if (popup.closed) {
        // The callback page closes itself after posting; give the last poll a chance.
        clearInterval(timer);
        const last = async () => {
          await new Promise((r) => setTimeout(r, 300));
          while (polling) await new Promise((r) => setTimeout(r, 100));
          await check(true);
        };
        void last();
      } else {
        void check(false);
      }
    }, 1000);
  });
}

export type ConnectedPages = Schemas['ConnectedPages'];

export function connectPages(loginId: string, pageIds: string[]): Promise<ConnectedPages> {
  return post<ConnectedPages>(`/api/v1/channels/facebook/logins/${encodeURIComponent(loginId)}/connect`, {
    page_ids: pageIds,
  });
}
