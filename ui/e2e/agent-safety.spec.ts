// Visitor-supplied text is shown as text: a name, a message and a file name
// full of markup render literally and run nothing.
import { test, expect } from './fixtures';
import { OFFLINE_PICTURES, messageWith, offerOf, setAvailability } from './agent-helpers';

test.use({ allowConsoleErrors: [OFFLINE_PICTURES] });

test('markup in a visitor\'s name, message and a file name is shown literally and never runs', async ({ page, loginAs, newVisitor }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await loginAs(page, 'agent', { path: '/chats' });
  await setAvailability(page, 'Available');

  const visitor = await newVisitor({ firstName: '<img src=x onerror=alert(1)>', lastName: '<script>alert(2)</script>' });
  const evil = '<script>alert(3)</script><img src=x onerror="alert(4)"> <a href="javascript:alert(5)">click</a> javascript:alert(6)';
  await visitor.says(evil);
  const offer = offerOf(page, visitor);
  await expect(offer).toBeVisible({ timeout: 15_000 });
  await expect(offer).toContainText(evil);
  await offer.getByRole('button', { name: /^Accept/ }).click();

  await expect(page.getByRole('heading', { level: 1, name: visitor.name })).toHaveText(visitor.name);
  const message = messageWith(page, '<script>alert(3)</script>');
  await expect(message).toBeVisible();
  await expect(message.locator('p')).toHaveText(evil);
  // Nothing became an element or a link.
  await expect(page.locator('main script, main img[src="x"], main a[href^="javascript:"]')).toHaveCount(0);

  const fileName = '<img src=x onerror=alert(7)>.txt';
  await page.getByTestId('file-input').setInputFiles({ name: fileName, mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await expect(page.getByTestId('file-link').filter({ hasText: fileName })).toBeVisible({ timeout: 15_000 });
  await expect(page.locator('main img[src="x"]')).toHaveCount(0);

  expect(dialogs).toEqual([]);
  expect(await page.evaluate(() => document.title)).not.toContain('<');
});
