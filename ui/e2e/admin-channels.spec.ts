// Channels > Omnichannels in the browser: Create Channel from the Facebook
// icon through the emulator's login popup to a saved channel for each
// routing rule, reordering destinations (mouse and keyboard), field errors,
// a declined permission, suspend/resume/delete, disconnect and Reconnect.
import { test, expect, snap } from './fixtures';
import { OFFLINE_PICTURES, apiGet, connectPage, destinationOrder, facebookPopup, freshPage, saveRouting } from './admin-helpers';

// 422s are expected where a test shows the API's rule at its field.
// Each test goes through Facebook Login in a popup; give a loaded machine time.
test.describe.configure({ timeout: 90_000 });
test.use({ allowConsoleErrors: [new RegExp(`${OFFLINE_PICTURES.source}|status of 422`)] });

type Channel = { id: string; name: string; status: string; routing: { rule: string; sticky: boolean; destinations: { id: string; percentage?: number }[] }; messages: { display_name_format: string } };
type Destination = { id: string; name: string };

test('Create Channel with alternative routing, a 41-character name refused, destinations reordered by mouse and keyboard @screenshot', async ({ page, loginAs, emulator }) => {
  await loginAs(page, 'admin', { path: '/channels' });
  await expect(page.getByRole('heading', { name: 'Omnichannels' })).toBeVisible();
  const fb = await freshPage(emulator, 'Acme Alternative');
  const id = await connectPage(page, fb.id, fb.name);

  // Basic Information: the name, counted; 41 characters are refused at the field.
  const name = page.getByLabel('Channel Name');
  await expect(name).toHaveValue('Acme Alternative');
  await snap(page, 'wizard-basic');
  await name.fill('x'.repeat(41));
  await expect(page.getByText('41/40')).toBeVisible();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByText('The channel name must be at most 40 characters (got 41).')).toBeVisible();
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await name.fill('Acme Sales Line');
  await page.getByRole('button', { name: 'Save', exact: true }).click();

  // Source: the linked Page.
  await expect(page.getByRole('heading', { name: 'Source' })).toBeVisible();
  await expect(page.getByText(`Facebook Page ${fb.id}`)).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();

  // Routing Settings: alternative over Sales → Support; drag Support to the top.
  await expect(page.getByRole('heading', { name: 'Routing Settings' })).toBeVisible();
  await expect(page.getByLabel('Routing rule')).toHaveValue('alternative');
  await expect(destinationOrder(page)).toHaveText(['Sales', 'Support']);
  await snap(page, 'wizard-routing');
  const supportHandle = page.getByRole('button', { name: /^Reorder Support/ });
  const salesRow = page.locator('ol.dests > li').first();
  await supportHandle.hover();
  await page.mouse.down();
  const box = (await salesRow.boundingBox())!;
  await page.mouse.move(box.x + 20, box.y + box.height / 2, { steps: 5 });
  await page.mouse.move(box.x + 20, box.y + 4, { steps: 5 });
  await page.mouse.up();
  await expect(destinationOrder(page)).toHaveText(['Support', 'Sales']);
  await page.getByLabel('Sticky Routing').click();
  await saveRouting(page);

  // Message Settings: Staff First Name with its preview.
  await expect(page.getByRole('heading', { name: 'Message Settings' })).toBeVisible();
  await page.getByLabel(/Staff First Name/).check();
  await expect(page.getByTestId('reply-preview')).toHaveText(/^Ada: /);
  await expect(page.getByLabel('Welcome Message')).toHaveValue(/Thanks for your message/);
  await snap(page, 'wizard-messages');
  await page.getByRole('button', { name: 'Save and finish' }).click();

  // Listed on Omnichannels with its rule and destinations.
  await expect(page.getByRole('heading', { name: 'Omnichannels' })).toBeVisible();
  const card = page.getByRole('listitem').filter({ hasText: 'Acme Sales Line' });
  await expect(card).toContainText('Alternative routing · sticky');
  await expect(card).toContainText('1. Support');
  await snap(page, 'omnichannels');

  let saved = await apiGet<Channel>(page, `/api/v1/channels/${id}`);
  const { items: destinations } = await apiGet<{ items: Destination[] }>(page, '/api/v1/destinations');
  const nameOf = (d: { id: string }) => destinations.find((x) => x.id === d.id)?.name;
  expect(saved.name).toBe('Acme Sales Line');
  expect(saved.routing.rule).toBe('alternative');
  expect(saved.routing.sticky).toBe(true);
  expect(saved.routing.destinations.map(nameOf)).toEqual(['Support', 'Sales']);
  expect(saved.messages.display_name_format).toBe('first_name');

  // The order survives a reload; the keyboard moves Sales back up.
  await page.goto(`/channels/${id}`);
  await expect(destinationOrder(page)).toHaveText(['Support', 'Sales']);
  const salesHandle = page.getByRole('button', { name: /^Reorder Sales/ });
  await salesHandle.focus();
  await page.keyboard.press('ArrowUp');
  await expect(destinationOrder(page)).toHaveText(['Sales', 'Support']);
  await expect(page.getByRole('button', { name: /^Reorder Sales, position 1 of 2/ })).toBeFocused();
  await saveRouting(page);
  await expect(page.getByText('Routing settings saved')).toBeVisible();
  await page.reload();
  await expect(destinationOrder(page)).toHaveText(['Sales', 'Support']);
  saved = await apiGet<Channel>(page, `/api/v1/channels/${id}`);
  expect(saved.routing.destinations.map(nameOf)).toEqual(['Sales', 'Support']);
});

test('Create Channel with percentage routing: the running total and the API’s rule at the field @screenshot', async ({ page, loginAs, emulator }) => {
  await loginAs(page, 'admin', { path: '/channels' });
  const fb = await freshPage(emulator, 'Acme Percent');
  const id = await connectPage(page, fb.id, fb.name);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('button', { name: 'Next' }).click();

  await page.getByLabel('Routing rule').selectOption('percentage');
  const sales = page.getByLabel('Percentage for Sales');
  const support = page.getByLabel('Percentage for Support');
  await expect(sales).toHaveValue('50');
  await expect(support).toHaveValue('50');
  await sales.fill('70');
  await support.fill('20');
  await expect(page.getByText('10% left to assign')).toBeVisible();
  await saveRouting(page);
  await expect(page.getByText('percentages must sum to 100 (got 90)')).toBeVisible();
  await expect(support).toHaveAttribute('aria-invalid', 'true');
  await support.fill('30');
  await expect(page.getByText('all of it assigned')).toBeVisible();
  await snap(page, 'wizard-routing-percentage');
  await saveRouting(page);
  await expect(page.getByRole('heading', { name: 'Message Settings' })).toBeVisible();
  await page.getByRole('button', { name: 'Save and finish' }).click();
  await expect(page.getByRole('heading', { name: 'Omnichannels' })).toBeVisible();

  const saved = await apiGet<Channel>(page, `/api/v1/channels/${id}`);
  expect(saved.routing.rule).toBe('percentage');
  expect(saved.routing.destinations.map((d) => d.percentage)).toEqual([70, 30]);
});

test('Create Channel with time routing: weekly hours, a holiday and the week in my time zone @screenshot', async ({ page, loginAs, emulator }) => {
  await loginAs(page, 'admin', { path: '/channels' });
  const fb = await freshPage(emulator, 'Acme Hours');
  const id = await connectPage(page, fb.id, fb.name);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('button', { name: 'Next' }).click();

  await page.getByLabel('Routing rule').selectOption('time');
  await page.getByLabel('Channel time zone').selectOption('Europe/London');
  // Support takes the evenings and Saturday.
  await page.getByLabel('Support, Monday, opens').fill('17:00');
  await page.getByLabel('Support, Monday, closes').fill('24:00');
  await page.getByRole('button', { name: 'Add hours on Saturday' }).nth(1).click();
  await page.getByRole('button', { name: 'Add a date' }).first().click();
  // A range that ends before it starts is refused, at its day.
  await page.getByLabel('Sales, Tuesday, closes').fill('08:00');
  await saveRouting(page);
  await expect(page.getByText(/Tuesday, hours 1: .*must start before it ends/)).toBeVisible();
  await page.getByLabel('Sales, Tuesday, closes').fill('17:00');
  await saveRouting(page);
  await expect(page.getByRole('heading', { name: 'Message Settings' })).toBeVisible();

  const saved = await apiGet<Channel & { routing: { time_zone: string; destinations: { schedule?: { weekly: Record<string, string[]>; exceptions?: unknown[] } }[] } }>(
    page,
    `/api/v1/channels/${id}`,
  );
  expect(saved.routing.rule).toBe('time');
  expect(saved.routing.time_zone).toBe('Europe/London');
  expect(saved.routing.destinations[1]!.schedule!.weekly.monday).toEqual(['17:00-24:00']);
  expect(saved.routing.destinations[1]!.schedule!.weekly.saturday).toEqual(['09:00-17:00']);
  expect(saved.routing.destinations[0]!.schedule!.exceptions).toHaveLength(1);

  // The channel's page shows the saved week in my time zone.
  await page.goto(`/channels/${id}`);
  const week = page.getByRole('region', { name: 'The week in my time zone' });
  await expect(week.getByText(/in your time zone \(Europe\/London\)/)).toBeVisible();
  await expect(week.locator('.block').first()).toBeVisible();
  await week.scrollIntoViewIfNeeded();
  await snap(page, 'channel-time-routing');
});

test('a declined permission is named with the toggle to turn on @screenshot', async ({ page, loginAs, emulator }) => {
  await loginAs(page, 'admin', { path: '/channels' });
  const fb = await freshPage(emulator, 'Acme Declined');
  await page.getByRole('button', { name: 'Create Channel' }).first().click();
  await facebookPopup(page, fb.id, ['pages_messaging']);
  const dialog = page.getByRole('dialog', { name: 'Create Channel' });
  const alert = dialog.getByRole('alert');
  await expect(alert).toContainText('pages_messaging');
  await expect(alert).toContainText('Manage and access Page conversations in Messenger');
  await expect(dialog.getByRole('listitem').filter({ hasText: 'pages_messaging' })).toContainText(/declined|not granted/);
  await expect(dialog.getByRole('button', { name: 'Log in with Facebook again' })).toBeVisible();
  await snap(page, 'create-channel-declined');
});

test('the Create Channel dialog closes with Escape and gives focus back to its button', async ({ page, loginAs }) => {
  await loginAs(page, 'admin', { path: '/channels' });
  const open = page.getByRole('button', { name: 'Create Channel' }).first();
  await open.click();
  const dialog = page.getByRole('dialog', { name: 'Create Channel' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Facebook', exact: true })).toBeFocused();
  // Tab stays inside.
  for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
  expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(open).toBeFocused();
});

test('two Pages at once: each becomes a channel, and the wizard goes on to the second', async ({ page, loginAs, emulator }) => {
  await loginAs(page, 'admin', { path: '/channels' });
  const first = await freshPage(emulator, 'Acme North');
  const second = await freshPage(emulator, 'Acme South');
  await page.getByRole('button', { name: 'Create Channel' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Create Channel' });
  await facebookPopup(page, [first.id, second.id]);
  await dialog.getByRole('button', { name: 'Done' }).click();
  await dialog.getByRole('button', { name: 'OK' }).click();
  for (const box of await dialog.getByRole('checkbox').all()) if (!(await box.isDisabled())) await box.uncheck();
  await dialog.getByRole('checkbox', { name: /Acme North/ }).check();
  await dialog.getByRole('checkbox', { name: /Acme South/ }).check();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByText('Acme North is connected.')).toBeVisible();
  await expect(page.getByText('1 more Page to set up after this one.')).toBeVisible();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Skip this step' }).click();
  await page.getByRole('button', { name: 'Finish without saving' }).click();
  await expect(page.getByText('Acme South is connected.')).toBeVisible();
  await page.getByRole('button', { name: 'Skip this step' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Skip this step' }).click();
  await page.getByRole('button', { name: 'Finish without saving' }).click();
  await expect(page.getByRole('heading', { name: 'Omnichannels' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Acme North' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Acme South' })).toBeVisible();
});

test('suspend, resume and delete a channel, each confirmed first', async ({ page, loginAs, emulator }) => {
  await loginAs(page, 'admin', { path: '/channels' });
  const fb = await freshPage(emulator, 'Acme Shortlived');
  const id = await connectPage(page, fb.id, fb.name);
  await page.goto(`/channels/${id}`);
  const status = page.getByTestId('channel-status');
  await expect(status).toHaveText('Active');

  await page.getByRole('button', { name: 'Suspend' }).click();
  const suspend = page.getByRole('dialog', { name: /Suspend Acme Shortlived/ });
  await expect(suspend).toContainText('routed, oldest first, when you resume');
  await suspend.getByRole('button', { name: 'Suspend' }).click();
  await expect(status).toHaveText('Suspended');

  await page.getByRole('button', { name: 'Resume' }).click();
  const resume = page.getByRole('dialog', { name: /Resume Acme Shortlived/ });
  await expect(resume).toContainText('routed now, oldest first');
  await resume.getByRole('button', { name: 'Resume' }).click();
  await expect(status).toHaveText('Active');

  await page.getByRole('button', { name: 'Delete' }).click();
  const remove = page.getByRole('dialog', { name: /Delete Acme Shortlived/ });
  await expect(remove).toContainText('Open enquiries');
  await remove.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('heading', { name: 'Omnichannels' })).toBeVisible();
  await expect(page.getByText('Acme Shortlived')).toHaveCount(0);
});

test('revoking the Page’s access disconnects the channel, which stands out; Reconnect brings it back @screenshot', async ({ page, loginAs, emulator }) => {
  await loginAs(page, 'admin', { path: '/channels' });
  const fb = await freshPage(emulator, 'Acme Fragile');
  const id = await connectPage(page, fb.id, fb.name);

  // Dana removes the app in Facebook: the deauthorize callback disconnects her channels.
  await page.goto(`/channels/${id}`);
  await page.getByRole('button', { name: 'Check connection' }).click();
  await expect(page.getByText(/Everything works/)).toBeVisible();
  await emulator.removeApp(fb.userId);
  await expect.poll(async () => (await apiGet<Channel>(page, `/api/v1/channels/${id}`)).status, { timeout: 15_000 }).toBe('disconnected');
  await page.reload();
  await expect(page.getByTestId('channel-status')).toHaveText('Disconnected');
  await expect(page.getByRole('alert').filter({ hasText: 'Disconnected since' })).toBeVisible();

  await page.goto('/channels');
  const card = page.getByRole('listitem').filter({ hasText: 'Acme Fragile' });
  await expect(card).toContainText('Disconnected');
  await expect(card.getByRole('button', { name: 'Reconnect' })).toBeVisible();
  await snap(page, 'omnichannels-disconnected');

  // Reconnect runs Facebook Login again and keeps the settings.
  await card.getByRole('button', { name: 'Reconnect' }).click();
  const dialog = page.getByRole('dialog', { name: 'Reconnect Acme Fragile' });
  await facebookPopup(page, fb.id);
  await dialog.getByRole('button', { name: 'Done' }).click();
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog.getByText(/connecting it again refreshes its access/)).toBeVisible();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByText(/Reconnected: Acme Fragile/)).toBeVisible();
  await expect(card).toContainText('Active');
  const saved = await apiGet<Channel>(page, `/api/v1/channels/${id}`);
  expect(saved.status).toBe('active');
});
