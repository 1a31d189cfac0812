// Steps the admin console's browser tests share: a fresh Facebook Page for
// the demo's Facebook user, and Create Channel through the emulator's login
// popup up to the Create New Channel wizard.
import { expect, type Page } from '@playwright/test';
import type { EmulatorClient } from './fixtures';

/** Page pictures point at Facebook's CDN, which the test machine cannot reach. */
export const OFFLINE_PICTURES = /ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED.*fbcdn|fbcdn/;

/** A new Page the demo's Facebook user (Dana Demo) manages. */
export async function freshPage(emulator: EmulatorClient, name: string): Promise<{ id: string; name: string; userId: string }> {
  const { users } = await emulator.overview();
  const userId = users[0]!.id;
  const created = await emulator.createPage(name);
  await emulator.setPageRole(created.id, userId, ['MANAGE', 'MODERATE', 'MESSAGING', 'CREATE_CONTENT']);
  return { id: created.id, name, userId };
}

/**
 * Clicks the Facebook icon (Create Channel dialog already open), ticks only
 * `pageId` in the emulator's login popup, unticks `decline`, and continues.
 */
export async function facebookPopup(page: Page, pageId: string | string[], decline: string[] = []): Promise<void> {
  const wanted = Array.isArray(pageId) ? pageId : [pageId];
  const facebook = page.getByRole('button', { name: 'Facebook', exact: true });
  await expect(facebook).toBeEnabled({ timeout: 15_000 });
  const popupPromise = page.waitForEvent('popup', { timeout: 20_000 });
  await facebook.click();
  const popup = await popupPromise;
  await popup.waitForLoadState();
  for (const box of await popup.locator('input[name=page]').all()) {
    if (wanted.includes((await box.getAttribute('value')) ?? '')) await box.check();
    else await box.uncheck();
  }
  for (const permission of decline) await popup.locator(`input[name=perm][value=${permission}]`).uncheck();
  await popup.getByRole('button', { name: 'Continue' }).click();
}

/** Channels > Omnichannels > Create Channel > Facebook … > Confirm: lands in the wizard. */
export async function connectPage(page: Page, pageId: string, pageName: string): Promise<string> {
  await page.goto('/channels');
  await page.getByRole('button', { name: 'Create Channel' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Create Channel' });
  await expect(dialog).toBeVisible();
  await facebookPopup(page, pageId);
  await expect(dialog.getByText('Page permissions')).toBeVisible({ timeout: 15_000 });
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog.getByText('Your Facebook Page is linked to omnidesk')).toBeVisible();
  await dialog.getByRole('button', { name: 'OK' }).click();
  // Facebook remembers Pages ticked at earlier logins: confirm only this one.
  for (const box of await dialog.getByRole('checkbox').all()) {
    if (!(await box.isDisabled())) await box.uncheck();
  }
  await dialog.getByRole('checkbox', { name: new RegExp(pageName) }).check();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('heading', { name: 'Create New Channel' })).toBeVisible({ timeout: 15_000 });
  const id = /\/channels\/([^/]+)\/setup/.exec(page.url())?.[1];
  if (!id) throw new Error(`not in the wizard: ${page.url()}`);
  return id;
}

/** The destination names of the routing editor, top to bottom. */
export function destinationOrder(page: Page) {
  return page.locator('ol.dests > li .dest-name');
}

/** Saves the routing settings and confirms. */
export async function saveRouting(page: Page): Promise<void> {
  await page.locator('form.routing').getByRole('button', { name: /^Save/ }).click();
  const confirm = page.getByRole('dialog', { name: 'Save routing settings?' });
  await confirm.getByRole('button', { name: 'Confirm' }).click();
}

/** GET an API path with the page's session cookie. */
export async function apiGet<T>(page: Page, path: string): Promise<T> {
  const res = await page.request.get(path);
  expect(res.ok(), `${path} answered ${res.status()}`).toBeTruthy();
  return (await res.json()) as T;
}

/** An agent acting through the API in their own session (no browser): availability and offers. */
export async function agentSession(baseURL: string, email: string, password: string) {
  const { request } = await import('@playwright/test');
  const ctx = await request.newContext({ baseURL });
  const res = await ctx.post('/api/v1/auth/login', { data: { email, password } });
  expect(res.ok(), `login ${email}: ${res.status()}`).toBeTruthy();
  const csrf = ((await res.json()) as { csrf_token: string }).csrf_token;
  const headers = { 'X-CSRF-Token': csrf };
  return {
    async availability(availability: 'available' | 'away' | 'offline') {
      const r = await ctx.put('/api/v1/me/availability', { data: { availability }, headers });
      expect(r.ok(), `availability: ${r.status()} ${await r.text()}`).toBeTruthy();
    },
    async openOffers(): Promise<{ id: string; enquiry_id: string }[]> {
      const r = await ctx.get('/api/v1/offers');
      return ((await r.json()) as { items: { id: string; enquiry_id: string; status: string }[] }).items.filter((o) => o.status === 'open');
    },
    async accept(offerId: string) {
      const r = await ctx.post(`/api/v1/offers/${offerId}/accept`, { headers });
      expect(r.ok(), `accept: ${r.status()} ${await r.text()}`).toBeTruthy();
    },
    dispose: () => ctx.dispose(),
  };
}
