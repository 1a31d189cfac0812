// Access that ends while the app is open: the server closes the live socket
// with code 4401 and the app goes to the login page at once — no endless
// "Reconnecting…".
import { request, type Page } from '@playwright/test';
import { test, expect, unique, type StaffApi } from './fixtures';
import { OFFLINE_PICTURES } from './agent-helpers';

test.use({ allowConsoleErrors: [OFFLINE_PICTURES] });

/** A fresh agent (so the tests of this file stay independent), logged in in `page`. */
async function freshAgentIn(page: Page, admin: StaffApi, loginAs: (p: Page, who: string, o?: { path?: string; password?: string }) => Promise<unknown>) {
  const email = `${unique('access')}@demo.example`.toLowerCase();
  const password = 'an-agent-password-1';
  const staff = await admin.post<{ id: string }>('/api/v1/staff', { email, first_name: 'Ada', last_name: 'Access', password, role: 'agent' });
  // The live connection is up once its `ready` frame arrives.
  const live = page
    .waitForEvent('websocket', (ws) => ws.url().includes('/api/v1/events'))
    .then((ws) => ws.waitForEvent('framereceived', (f) => String(f.payload).includes('"ready"')));
  await loginAs(page, email, { path: '/chats', password });
  await expect(page.getByRole('heading', { name: /My chats/ })).toBeVisible();
  await live;
  return { id: staff.id, email, password };
}

async function expectLoginPage(page: Page) {
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible({ timeout: 5_000 });
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByTestId('reconnecting')).toHaveCount(0);
}

test('an agent whose role an admin changes is sent to the login page', async ({ page, loginAs, apiAs }) => {
  const admin = await apiAs('admin');
  const agent = await freshAgentIn(page, admin, loginAs);
  await admin.patch(`/api/v1/staff/${agent.id}`, { role: 'admin' });
  await expectLoginPage(page);
  // Logging in again works, now as an admin.
  await page.getByLabel('E-mail address').fill(agent.email);
  await page.getByLabel('Password').fill(agent.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Log in' })).toHaveCount(0);
});

test('an agent an admin removes is sent to the login page', async ({ page, loginAs, apiAs }) => {
  const admin = await apiAs('admin');
  const agent = await freshAgentIn(page, admin, loginAs);
  await admin.delete(`/api/v1/staff/${agent.id}`);
  await expectLoginPage(page);
});

test('an agent who changes their password elsewhere is sent to the login page here', async ({ page, loginAs, apiAs, demo }) => {
  const admin = await apiAs('admin');
  const agent = await freshAgentIn(page, admin, loginAs);
  const elsewhere = await request.newContext({ baseURL: demo.serverUrl });
  try {
    const login = await elsewhere.post('/api/v1/auth/login', { data: { email: agent.email, password: agent.password } });
    expect(login.ok()).toBeTruthy();
    const { csrf_token } = await login.json();
    const res = await elsewhere.put('/api/v1/me/password', {
      headers: { 'X-CSRF-Token': csrf_token },
      data: { current_password: agent.password, new_password: 'a-newer-password-2' },
    });
    expect(res.status()).toBe(204);
  } finally {
    await elsewhere.dispose();
  }
  await expectLoginPage(page);
});
