// A long conversation opens at the newest message with only the newest part
// rendered; scrolling up brings the older ones, in order, each once.
import { test, expect } from './fixtures';
import { OFFLINE_PICTURES, messageWith, setAvailability, takeChat } from './agent-helpers';

test.use({ allowConsoleErrors: [OFFLINE_PICTURES] });

test('a long chat opens at the newest message and older ones load on scroll', async ({ page, loginAs, newVisitor }) => {
  test.setTimeout(90_000);
  await loginAs(page, 'agent', { path: '/chats' });
  await setAvailability(page, 'Available');
  const visitor = await newVisitor();
  await takeChat(page, visitor, 'Message 000');
  for (let i = 1; i <= 150; i++) await visitor.says(`Message ${String(i).padStart(3, '0')}`);
  await expect(messageWith(page, 'Message 150')).toBeVisible({ timeout: 30_000 });

  // Open it afresh.
  await page.reload();
  await expect(messageWith(page, 'Message 150')).toBeInViewport({ timeout: 15_000 });
  const rendered = await page.getByTestId('message').count();
  expect(rendered).toBeLessThan(100);
  await expect(messageWith(page, /^Message 000/)).toHaveCount(0);

  // Scroll to the top until the first message is there.
  const scroller = page.getByTestId('messages');
  for (let i = 0; i < 10 && (await messageWith(page, 'Message 000').count()) === 0; i++) {
    await scroller.evaluate((el) => el.scrollTo({ top: 0 }));
    await page.waitForTimeout(200);
  }
  await expect(messageWith(page, 'Message 000')).toHaveCount(1);
  const texts = await page.getByTestId('message').filter({ hasText: /Message \d{3}/ }).locator('p').allTextContents();
  const numbers = texts.map((t) => Number(/Message (\d{3})/.exec(t)![1]));
  expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  expect(new Set(numbers).size).toBe(151);
});
