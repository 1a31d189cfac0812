// The live connection: when the WebSocket drops, the console says it is
// reconnecting; visitors keep writing; after the reconnect (with ?after=)
// every message shows exactly once — nothing lost, nothing doubled.
import type { WebSocketRoute } from '@playwright/test';
import { test, expect } from './fixtures';
import { OFFLINE_PICTURES, messageWith, setAvailability, takeChat } from './agent-helpers';

test.use({ allowConsoleErrors: [OFFLINE_PICTURES] });

test('a dropped WebSocket catches up after reconnecting, with nothing lost or doubled', async ({ page, loginAs, newVisitor }) => {
  let cut = false;
  const open: WebSocketRoute[] = [];
  const urls: string[] = [];
  await page.routeWebSocket(/\/api\/v1\/events/, (ws) => {
    urls.push(ws.url());
    if (cut) {
      void ws.close({ code: 1011, reason: 'cut by the test' });
      return;
    }
    ws.connectToServer();
    open.push(ws);
  });

  await loginAs(page, 'agent', { path: '/chats' });
  await setAvailability(page, 'Available');
  const visitor = await newVisitor();
  const other = await newVisitor();
  await takeChat(page, visitor, 'First, before the drop');
  await takeChat(page, other, 'Another chat, before the drop');
  await page.getByTestId('chat-item').filter({ hasText: visitor.name }).click();
  await expect(page.getByRole('heading', { level: 1, name: visitor.name })).toBeVisible();

  // The connection drops and stays down for a while.
  cut = true;
  for (const ws of open.splice(0)) await ws.close({ code: 1011, reason: 'cut by the test' });
  await expect(page.getByTestId('reconnecting')).toBeVisible();
  await expect(page.getByTestId('reconnecting')).toContainText('Reconnecting…');

  const during = ['Written while you were away 1', 'Written while you were away 2', 'Written while you were away 3'];
  for (const text of during) await visitor.says(text);
  await other.says('The other chat moved on too');
  await page.waitForTimeout(1500);
  await expect(messageWith(page, during[0]!)).toHaveCount(0);

  // Back: the console resumes after the last event it saw.
  cut = false;
  await page.getByTestId('reconnecting').getByRole('button', { name: 'Retry now' }).click();
  await expect(page.getByTestId('reconnecting')).toBeHidden({ timeout: 15_000 });
  expect(urls.at(-1)).toMatch(/[?&]after=\d+/);

  for (const text of during) await expect(messageWith(page, text)).toHaveCount(1, { timeout: 15_000 });
  await expect(messageWith(page, 'First, before the drop')).toHaveCount(1);
  // The other chat shows what it missed: its unread count and preview.
  const otherItem = page.getByTestId('chat-item').filter({ hasText: other.name });
  await expect(otherItem).toContainText('The other chat moved on too');
  await expect(otherItem.getByLabel(/unread/)).toHaveText(/[1-9]/);
  // The tab title carries the unread total; opening the chat reads it.
  await expect(page).toHaveTitle(/^\(\d+\) My chats · omnidesk$/);

  // And live again: a new message arrives once.
  await visitor.says('After the reconnect');
  await expect(messageWith(page, 'After the reconnect')).toHaveCount(1, { timeout: 15_000 });
  for (const text of during) await expect(messageWith(page, text)).toHaveCount(1);

  await otherItem.click();
  await expect(page.getByRole('heading', { level: 1, name: other.name })).toBeVisible();
  await expect(page).toHaveTitle('My chats · omnidesk');
  await expect(otherItem.getByLabel(/unread/)).toHaveCount(0);
});
