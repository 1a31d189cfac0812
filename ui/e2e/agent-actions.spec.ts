// What an agent does besides replying: keyboard (help, accept the newest
// offer, move between chats), transfer to a team, close, earlier enquiries,
// and losing a race for an offer to a colleague.
import { test, expect } from './fixtures';
import { OFFLINE_PICTURES, composer, messageWith, offerOf, setAvailability, takeChat } from './agent-helpers';

test.use({ allowConsoleErrors: [OFFLINE_PICTURES] });

test('the keyboard: ? opens the help, Alt+A accepts the newest offer, Alt+↑/↓ move between chats, / focuses the reply box', async ({ page, loginAs, newVisitor }) => {
  await loginAs(page, 'agent', { path: '/chats' });
  await setAvailability(page, 'Available');
  const first = await newVisitor();
  await takeChat(page, first, 'First chat');

  await page.getByTestId('messages').click();
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await expect(help).toContainText('Accept the newest offer');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  const second = await newVisitor();
  await second.says('Second chat, accepted from the keyboard');
  await expect(offerOf(page, second)).toBeVisible({ timeout: 15_000 });
  await page.keyboard.press('Alt+KeyA');
  await expect(page.getByRole('heading', { level: 1, name: second.name })).toBeVisible();

  const items = page.getByTestId('chat-item');
  await expect(items).toHaveCount(2);
  const order = await items.evaluateAll((els) => els.map((e) => e.getAttribute('href')));
  const here = new URL(page.url()).pathname;
  const next = order[(order.indexOf(here) + 1) % order.length]!;
  await page.keyboard.press('Alt+ArrowDown');
  await expect(page).toHaveURL(new RegExp(`${next}$`));
  await page.keyboard.press('Alt+ArrowUp');
  await expect(page).toHaveURL(new RegExp(`${here}$`));

  await page.getByTestId('messages').click();
  await page.keyboard.press('/');
  await expect(composer(page)).toBeFocused();
});

test('transfer to a team: the chat leaves my list and a colleague of that team is offered it', async ({ page, loginAs, newVisitor, pageAs }) => {
  await loginAs(page, 'agent', { path: '/chats' });
  await setAvailability(page, 'Available');
  const colleague = await pageAs('agent2', { path: '/chats' });
  await setAvailability(colleague, 'Available');

  const visitor = await newVisitor();
  await takeChat(page, visitor, 'I need technical help');
  await page.getByRole('button', { name: 'Transfer' }).click();
  const dialog = page.getByRole('dialog', { name: 'Transfer this enquiry' });
  // Agents are listed with their availability (GET /team); the search narrows teams and agents.
  await expect(dialog.getByRole('radio', { name: /Sasha/ })).toBeVisible();
  await dialog.getByLabel('Search teams and agents').fill('supp');
  await dialog.getByRole('radio', { name: /Support/ }).check();
  await dialog.getByRole('button', { name: 'Transfer' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('chat-item').filter({ hasText: visitor.name })).toHaveCount(0);

  const offer = offerOf(colleague, visitor);
  await expect(offer).toBeVisible({ timeout: 15_000 });
  await offer.getByRole('button', { name: /^Accept/ }).click();
  await expect(colleague.getByRole('heading', { level: 1, name: visitor.name })).toBeVisible();
  await expect(messageWith(colleague, 'I need technical help')).toBeVisible();
});

test('transfer to an agent found by name: they are offered it first', async ({ page, loginAs, newVisitor, pageAs }) => {
  await loginAs(page, 'agent', { path: '/chats' });
  await setAvailability(page, 'Available');
  const colleague = await pageAs('agent2', { path: '/chats' });
  await setAvailability(colleague, 'Available');
  const visitor = await newVisitor();
  await takeChat(page, visitor, 'Can Sasha help me?');
  await page.getByRole('button', { name: 'Transfer' }).click();
  const dialog = page.getByRole('dialog', { name: 'Transfer this enquiry' });
  await dialog.getByLabel('Search teams and agents').fill('sasha');
  await expect(dialog.getByRole('radio')).toHaveCount(1);
  await dialog.getByRole('radio', { name: /Sasha/ }).check();
  await dialog.getByRole('button', { name: 'Transfer' }).click();
  await expect(page.getByTestId('chat-item').filter({ hasText: visitor.name })).toHaveCount(0);
  await expect(offerOf(colleague, visitor)).toBeVisible({ timeout: 15_000 });
  await expect(offerOf(colleague, visitor)).toContainText('Can Sasha help me?');
});

test('close: the chat leaves my list; the visitor\'s earlier enquiry is one click away, read-only', async ({ page, loginAs, newVisitor }) => {
  await loginAs(page, 'agent', { path: '/chats' });
  await setAvailability(page, 'Available');
  const visitor = await newVisitor();
  await takeChat(page, visitor, 'Question number one');
  await page.getByTestId('close-enquiry').click();
  await page.getByTestId('close-enquiry').click(); // "Confirm close"
  await expect(page.getByTestId('chat-item').filter({ hasText: visitor.name })).toHaveCount(0);

  // The visitor comes back: a new enquiry; the first is in "Earlier enquiries".
  await takeChat(page, visitor, 'Question number two');
  const panel = page.getByRole('complementary', { name: 'About the visitor' });
  await expect(panel.getByRole('listitem')).toHaveCount(1);
  await expect(panel.getByRole('listitem')).toContainText('closed');
  await panel.getByRole('listitem').getByRole('button').click();
  const dialog = page.getByRole('dialog', { name: /Earlier enquiries/ });
  await expect(dialog.getByLabel('Transcript')).toContainText('Question number one');
  await expect(dialog.getByLabel('Transcript')).not.toContainText('Question number two');
  await expect(dialog.getByRole('textbox')).toHaveCount(0);
});

test('losing the race for an offer shows that a colleague took it', async ({ page, loginAs, newVisitor, pageAs, apiAs }) => {
  // Both agents in the Shop's first team, ringing all.
  const admin = await apiAs('admin');
  const staff = (await admin.get('/api/v1/staff')).items as { id: string; email: string }[];
  const teams = (await admin.get('/api/v1/destinations')).items as { id: string; name: string; member_ids: string[] }[];
  const sales = teams.find((t) => t.name === 'Sales')!;
  await admin.patch(`/api/v1/destinations/${sales.id}`, { member_ids: staff.filter((s) => /sales|support/.test(s.email)).map((s) => s.id), strategy: 'ring_all' });
  try {
    await loginAs(page, 'agent', { path: '/chats' });
    await setAvailability(page, 'Available');
    const colleague = await pageAs('agent2', { path: '/chats' });
    await setAvailability(colleague, 'Available');
    const visitor = await newVisitor();
    await visitor.says('Whoever is fastest');
    await expect(offerOf(page, visitor)).toBeVisible({ timeout: 15_000 });
    await expect(offerOf(colleague, visitor)).toBeVisible({ timeout: 15_000 });
    await offerOf(colleague, visitor).getByRole('button', { name: /^Accept/ }).click();
    await expect(offerOf(page, visitor)).toContainText(/Taken by Sasha/);
    await expect(offerOf(page, visitor).getByRole('button', { name: /^Accept/ })).toHaveCount(0);
    await expect(offerOf(page, visitor)).toBeHidden({ timeout: 15_000 });
  } finally {
    await admin.patch(`/api/v1/destinations/${sales.id}`, { member_ids: sales.member_ids });
  }
});
