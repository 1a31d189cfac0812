// The agent's day: going available, an offer arriving live, accepting it,
// replying (the visitor sees it), files both ways, a send Facebook refuses
// (its reason shown), and the 24-hour window lapsing.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, snap } from './fixtures';
import { OFFLINE_PICTURES, composer, messageWith, offerOf, png, reply, setAvailability, takeChat } from './agent-helpers';

test.use({ allowConsoleErrors: [OFFLINE_PICTURES] });

test('an agent goes available, a visitor writes, the offer arrives live, the agent accepts and replies, the visitor sees the reply', { tag: '@screenshot' }, async ({ page, loginAs, newVisitor, openVisitorChat, emulator }) => {
  await loginAs(page, 'agent', { path: '/chats' });
  await expect(page.getByText('no new enquiries are offered to you')).toBeVisible();
  await setAvailability(page, 'Available');
  await expect(page.getByText('no new enquiries are offered to you')).toBeHidden();

  const visitor = await newVisitor();
  const messenger = await openVisitorChat(visitor);
  await messenger.getByPlaceholder('Aa').fill('Hi! Is the blue city bike still available in size M?');
  await messenger.getByRole('button', { name: 'Send' }).click();

  const offer = offerOf(page, visitor);
  await expect(offer).toBeVisible({ timeout: 15_000 });
  await expect(offer).toContainText('Is the blue city bike still available in size M?');
  await expect(offer).toContainText('Demo Company Shop');
  await expect(offer.getByLabel(/seconds left to accept/)).toBeVisible();
  await page.bringToFront();
  await snap(page, 'agent-offer');

  await offer.getByRole('button', { name: /^Accept/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: visitor.name })).toBeVisible();
  await expect(page).toHaveURL(/\/chats\/[^/]+$/);
  await expect(page.getByTestId('chat-item').filter({ hasText: visitor.name })).toBeVisible();

  await reply(page, 'Yes, it is! Shall I reserve one for you?');
  const mine = messageWith(page, 'Shall I reserve one for you?');
  await expect(mine).toBeVisible();
  await expect(mine.getByTestId('message-status')).toHaveText(/Sent|Delivered|Read/, { timeout: 15_000 });
  await expect(messenger.locator('#thread')).toContainText('Yes, it is! Shall I reserve one for you?', { timeout: 15_000 });

  // The visitor answers: it appears live in the open chat.
  await messenger.getByPlaceholder('Aa').fill('Yes please, until Friday.');
  await messenger.getByRole('button', { name: 'Send' }).click();
  await expect(messageWith(page, 'Yes please, until Friday.')).toBeVisible({ timeout: 15_000 });
  await page.bringToFront();
  await snap(page, 'agent-conversation');
  expect((await emulator.thread(visitor.psid)).filter((i) => i.text === 'Yes, it is! Shall I reserve one for you?')).toHaveLength(1);
});

test('a file sent by the agent reaches the visitor, and a file from the visitor shows in the chat', async ({ page, loginAs, newVisitor, emulator }) => {
  await loginAs(page, 'agent', { path: '/chats' });
  await setAvailability(page, 'Available');
  const visitor = await newVisitor();
  await takeChat(page, visitor, 'Can you send me the invoice?');

  await page.getByTestId('file-input').setInputFiles({ name: 'invoice-1234.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 invoice 1234\n') });
  const sent = messageWith(page, 'invoice-1234.pdf');
  await expect(sent).toBeVisible({ timeout: 15_000 });
  await expect(sent.getByTestId('file-link')).toHaveAttribute('href', /^\/api\/v1\/attachments\//);
  await expect(sent.getByTestId('message-status')).toHaveText(/Sent|Delivered|Read/, { timeout: 15_000 });
  const received = await emulator.waitForReceived(visitor.psid, /./, 15_000).catch(() => null);
  const thread = await emulator.thread(visitor.psid);
  const file = thread.flatMap((i) => (i.from === 'page' ? i.attachments : [])).find((a) => a.filename === 'invoice-1234.pdf' || a.kind === 'file');
  expect(file, `the visitor got the file (thread: ${JSON.stringify(thread.map((i) => [i.from, i.text, i.attachments]))}, ${JSON.stringify(received)})`).toBeTruthy();

  // An image: inline for the agent, delivered to the visitor; the visitor sends it back and it shows inline too.
  await page.getByTestId('file-input').setInputFiles({ name: 'bike-photo.png', mimeType: 'image/png', buffer: png() });
  await expect(page.getByRole('img', { name: 'bike-photo.png' })).toBeVisible({ timeout: 15_000 });
  let imageUrl: string | undefined;
  await expect
    .poll(async () => (imageUrl = (await emulator.thread(visitor.psid)).flatMap((i) => i.attachments).find((a) => a.filename === 'bike-photo.png')?.url ?? undefined), { timeout: 15_000 })
    .toBeTruthy();
  await emulator.visitorSendsFile(visitor.psid, new URL(imageUrl!, emulator.chatUrl(visitor.page_id, visitor.psid)).href, 'image');
  const images = page.getByTestId('messages').getByRole('img');
  await expect(images).toHaveCount(2, { timeout: 15_000 });
  await expect.poll(() => images.last().evaluate((img: HTMLImageElement) => img.naturalWidth), { timeout: 10_000 }).toBe(64);

  // Over 25 MB: refused before any upload, saying why.
  // (A file on disk: the browser reads it itself instead of 26 MB going through the protocol.)
  const huge = join(mkdtempSync(join(tmpdir(), 'agent-')), 'huge.bin');
  writeFileSync(huge, Buffer.alloc(26 * 1024 * 1024));
  await page.getByTestId('file-input').setInputFiles(huge, { timeout: 30_000 });
  await expect(page.getByTestId('upload').filter({ hasText: 'huge.bin' })).toContainText('at most 25 MB');
  await page.getByTestId('upload').filter({ hasText: 'huge.bin' }).getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.getByTestId('upload')).toHaveCount(0);
});

test("a reply Facebook refuses shows as not sent with Facebook's reason", async ({ page, loginAs, newVisitor, emulator, consoleErrors }) => {
  // The typing bubble is refused for a blocked visitor too (502, logged by the browser once).
  consoleErrors.allow(/status of 502 .* @ .*\/typing$/);
  await loginAs(page, 'agent', { path: '/chats' });
  await setAvailability(page, 'Available');
  const visitor = await newVisitor();
  await takeChat(page, visitor, 'Hello?');
  await emulator.blockVisitor(visitor.psid);
  await reply(page, 'Are you still there?');
  const failed = messageWith(page, 'Are you still there?');
  await expect(failed.getByTestId('message-status')).toHaveText('Not sent', { timeout: 20_000 });
  await expect(failed.getByTestId('failure-reason')).toBeVisible();
  await expect(failed.getByTestId('failure-reason')).not.toBeEmpty();
  await emulator.blockVisitor(visitor.psid, false);
});

test('when the 24-hour window has lapsed the composer says so, exactly', async ({ page, loginAs, newVisitor, emulator }) => {
  await loginAs(page, 'agent', { path: '/chats' });
  await setAvailability(page, 'Available');
  const visitor = await newVisitor();
  // The visitor's message is stamped 25 hours ago by the emulator's clock.
  await emulator.setClock(-25 * 3600 * 1000);
  try {
    await visitor.says('A question from yesterday');
  } finally {
    await emulator.setClock(0);
  }
  const offer = offerOf(page, visitor);
  await expect(offer).toBeVisible({ timeout: 15_000 });
  await offer.getByRole('button', { name: /^Accept/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: visitor.name })).toBeVisible();
  await expect(page.getByTestId('window-lapsed')).toContainText(
    'Sorry, your message can no longer send; the 24-hour message window has lapsed. Close this enquiry, or wait until the visitor sends a message again.',
  );
  await expect(composer(page)).toHaveCount(0);
  await expect(page.getByTestId('window-left')).toHaveText('Window lapsed');

  // The visitor writes again: the window reopens and the composer is back.
  await visitor.says('Still there?');
  await expect(composer(page)).toBeVisible({ timeout: 15_000 });
});

test('with the Human Agent tag on, a reply after 24 hours still goes out and the console says which rule applies', async ({ page, loginAs, newVisitor, emulator, apiAs, demo }) => {
  const admin = await apiAs('admin');
  const channels = (await admin.get('/api/v1/channels')).items as { id: string; page: { id: string } }[];
  const shop = channels.find((c) => c.page.id === (demo.pages[0]?.id ?? '990000000000001'))!;
  await admin.patch(`/api/v1/channels/${shop.id}`, { messages: { human_agent_tag: true } });
  try {
    await loginAs(page, 'agent', { path: '/chats' });
    await setAvailability(page, 'Available');
    const visitor = await newVisitor();
    await emulator.setClock(-25 * 3600 * 1000);
    try {
      await visitor.says('Still need help from yesterday');
    } finally {
      await emulator.setClock(0);
    }
    const offer = offerOf(page, visitor);
    await expect(offer).toBeVisible({ timeout: 15_000 });
    await offer.getByRole('button', { name: /^Accept/ }).click();
    await expect(page.getByText(/The 24-hour window has lapsed\. This channel allows replies with Facebook's Human Agent tag up to 7 days/)).toBeVisible();
    await expect(page.getByTestId('window-left')).toContainText('Human Agent tag');
    await reply(page, 'Sorry for the wait, here is the answer.');
    await expect(messageWith(page, 'Sorry for the wait').getByTestId('message-status')).toHaveText(/Sent|Delivered|Read/, { timeout: 15_000 });
    const sent = await emulator.waitForReceived(visitor.psid, /Sorry for the wait/, 15_000);
    expect(sent.tag).toBe('HUMAN_AGENT');
  } finally {
    await admin.patch(`/api/v1/channels/${shop.id}`, { messages: { human_agent_tag: false } });
  }
});
