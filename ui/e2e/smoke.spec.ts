// The web app, served by the real binary under its CSP: it loads, logs in
// and out, and deep links survive the login page.
import { test, expect, snap } from './fixtures';

test.describe('smoke', () => {
  test('the login page loads at / under the server CSP with no console error', async ({ page }) => {
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp, 'the server sends a CSP with the app').toContain("script-src 'self'");
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
    await expect(page.getByLabel('E-mail address')).toBeVisible();
    await expect(page.getByLabel('Password')).toBeVisible();
    await expect(page).toHaveTitle(/omnidesk/i);
  });

  test('a deep link loads the app too', async ({ page }) => {
    const response = await page.goto('/chats');
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toContain('text/html');
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  });

  test('a wrong password shows the error and stays on the login page', async ({ page, demo, consoleErrors }) => {
    // The failed login is a 401 the browser logs; that one is expected.
    consoleErrors.allow(/status of 401 .* @ .*\/api\/v1\/auth\/login/);
    await page.goto('/');
    await page.getByLabel('E-mail address').fill(demo.logins.find((l) => l.role === 'agent')!.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert')).toContainText('do not match');
    await expect(page.getByRole('button', { name: 'Log out' })).toHaveCount(0);
  });

  test('an agent logs in with the form, lands in the console, and logs out', async ({ page, loginAs }) => {
    await loginAs(page, 'agent', { via: 'form' });
    await expect(page.getByRole('heading', { name: 'Log in' })).toHaveCount(0);
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
    // The session is really gone: a reload still shows the login page.
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  });

  test('after logging in at a deep link, ?next= brings you back to it', async ({ page, demo }) => {
    await page.goto('/missed');
    await expect(page).toHaveURL(/\/login\?next=%2Fmissed$/);
    await page.getByLabel('E-mail address').fill(demo.logins.find((l) => l.role === 'agent')!.email);
    await page.getByLabel('Password').fill(demo.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
    await expect(page).toHaveURL(/\/missed$/);
  });

  test('loginAs via the API opens the requested screen', async ({ page, loginAs }) => {
    const who = await loginAs(page, 'admin', { path: '/chats' });
    expect(who.role).toBe('admin');
    await expect(page).toHaveURL(/\/chats$/);
  });

  test('the login page, for the docs', { tag: '@screenshot' }, async ({ page }) => {
    await page.goto('/');
    await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
    await snap(page, 'login');
  });
});
