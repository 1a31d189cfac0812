// What visitors send besides plain text, as the agent sees it: edits (the
// earlier text one click away), reactions, postbacks, quick replies,
// stickers, and links (only http(s) is clickable).
import { test, expect } from './fixtures';
import { OFFLINE_PICTURES, messageWith, setAvailability, takeChat } from './agent-helpers';

test.use({ allowConsoleErrors: [OFFLINE_PICTURES] });

test('edits, reactions, postbacks, quick replies and links show as the visitor meant them', async ({ page, loginAs, newVisitor, emulator }) => {
  await loginAs(page, 'agent', { path: '/chats' });
  await setAvailability(page, 'Available');
  const visitor = await newVisitor();
  await takeChat(page, visitor, 'Hello there');

  const mid = (await emulator.visitorSays(visitor.psid, 'I want the red one')).mid!;
  await expect(messageWith(page, 'I want the red one')).toBeVisible({ timeout: 15_000 });
  await emulator.visitorEdits(visitor.psid, mid, 'I want the blue one');
  const edited = messageWith(page, 'I want the blue one');
  await expect(edited).toBeVisible({ timeout: 15_000 });
  await edited.getByRole('button', { name: /Edited/ }).click();
  await expect(edited.getByRole('list', { name: 'Earlier versions' })).toContainText('I want the red one');

  await emulator.visitorReacts(visitor.psid, mid, '❤', 'love');
  await expect(edited.getByLabel('Reactions')).toBeVisible({ timeout: 15_000 });

  await emulator.visitorPostback(visitor.psid, 'Track my order', 'TRACK_ORDER');
  await expect(messageWith(page, 'Tapped “Track my order”')).toBeVisible({ timeout: 15_000 });
  await emulator.visitorQuickReply(visitor.psid, 'Yes please', 'YES');
  await expect(messageWith(page, 'Yes please')).toContainText('Quick reply', { timeout: 15_000 });

  await visitor.says('See https://example.com/order/42, and javascript:alert(1)');
  const links = messageWith(page, 'See https://example.com/order/42');
  await expect(links).toBeVisible({ timeout: 15_000 });
  await expect(links.getByRole('link')).toHaveCount(1);
  await expect(links.getByRole('link')).toHaveAttribute('href', 'https://example.com/order/42');
  await expect(links.getByRole('link')).toHaveAttribute('rel', /noopener/);
});
