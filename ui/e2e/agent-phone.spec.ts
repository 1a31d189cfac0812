// The console at phone width (360 px): one pane at a time, with a back
// button; the missed list and picking an enquiry up.
import { test, expect, snap } from './fixtures';
import { OFFLINE_PICTURES, messageWith, offerOf, reply, setAvailability } from './agent-helpers';

test.use({ allowConsoleErrors: [OFFLINE_PICTURES], viewport: { width: 360, height: 780 } });

test('the missed list: a missed enquiry is picked up and served', { tag: '@screenshot' }, async ({ page, loginAs, newVisitor }) => {
  // Nobody is available: the visitor's enquiry is missed.
  const visitor = await newVisitor();
  await visitor.says('Anyone there? My parcel never arrived.');
  await loginAs(page, 'agent', { path: '/missed' });
  await expect(page.getByRole('heading', { name: 'Missed enquiries' })).toBeVisible();
  const item = page.getByTestId('missed-item').filter({ hasText: visitor.name });
  await expect(item).toBeVisible({ timeout: 15_000 });
  await expect(item).toContainText('Demo Company Shop');
  await snap(page, 'agent-missed');
  await item.getByRole('button', { name: /^Pick up/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: visitor.name })).toBeVisible();
  await expect(messageWith(page, 'Anyone there? My parcel never arrived.')).toBeVisible();
  await expect(page.getByTestId('missed-item').filter({ hasText: visitor.name })).toHaveCount(0);
});

test('at 360 px the list and the conversation take turns, with a back button', async ({ page, loginAs, newVisitor }) => {
  await loginAs(page, 'agent', { path: '/chats' });
  await setAvailability(page, 'Available');
  const visitor = await newVisitor();
  await visitor.says('Hello from my phone');
  const offer = offerOf(page, visitor);
  await expect(offer).toBeVisible({ timeout: 15_000 });
  await offer.getByRole('button', { name: /^Accept/ }).click();

  await expect(page.getByRole('heading', { level: 1, name: visitor.name })).toBeVisible();
  await expect(page.getByRole('complementary', { name: 'Offers and my chats' })).toBeHidden();
  await reply(page, 'Hi! How can I help?');
  await expect(messageWith(page, 'Hi! How can I help?')).toBeVisible();
  // Nothing sticks out sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  await page.getByRole('link', { name: 'Back to my chats' }).click();
  await expect(page.getByRole('complementary', { name: 'Offers and my chats' })).toBeVisible();
  await expect(page.getByTestId('chat-item').filter({ hasText: visitor.name })).toContainText('Hi! How can I help?');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
});
