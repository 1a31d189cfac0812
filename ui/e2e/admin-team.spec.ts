// Teams and people in the browser: Staff (add, edit, remove), Destinations
// (create with members), my profile (names and password, an admin's and an agent's), and the routing simulator
// on a channel's page.
import { request } from '@playwright/test';
import { test, expect, snap } from './fixtures';
import { OFFLINE_PICTURES } from './admin-helpers';

test.use({ allowConsoleErrors: [new RegExp(`${OFFLINE_PICTURES.source}|status of 422`)] });

test('add, edit and remove a staff member; a 422 shows at its field @screenshot', async ({ page, loginAs }) => {
  await loginAs(page, 'admin', { path: '/staff' });
  await page.getByRole('button', { name: 'Add staff member' }).click();
  const add = page.getByRole('dialog', { name: 'Add staff member' });
  await add.getByLabel('First name').fill('Tia');
  await add.getByLabel('Last name').fill('Temp');
  await add.getByLabel('E-mail address').fill('tia@demo.example');
  await add.getByLabel('Password').fill('short');
  await add.getByRole('button', { name: 'Add' }).click();
  await expect(add.getByText(/^Password: .*10/)).toBeVisible();
  await add.getByLabel('Password').fill('a-long-enough-password');
  await add.getByRole('button', { name: 'Add' }).click();
  const row = page.getByRole('row').filter({ hasText: 'tia@demo.example' });
  await expect(row).toContainText('Agent');
  await snap(page, 'staff');

  await row.getByRole('button', { name: 'Edit Tia Temp' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit Tia Temp' });
  await edit.getByLabel('Capacity').fill('3');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(row.getByRole('cell').nth(4)).toHaveText('3');

  await row.getByRole('button', { name: 'Remove Tia Temp' }).click();
  const confirm = page.getByRole('dialog', { name: 'Remove Tia Temp?' });
  await expect(confirm).toContainText('go back to routing at once');
  await confirm.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'tia@demo.example' })).toHaveCount(0);
});

test('create a destination with members; it can be added to a channel @screenshot', async ({ page, loginAs }) => {
  await loginAs(page, 'admin', { path: '/destinations' });
  await page.getByRole('button', { name: 'Create destination' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create destination' });
  await dialog.getByLabel('Name').fill('VIP');
  await dialog.getByLabel(/Longest idle/).check();
  await dialog.getByLabel(/Sasha Helper/).check();
  await dialog.getByRole('button', { name: 'Create' }).click();
  const row = page.getByRole('row').filter({ hasText: 'VIP' });
  await expect(row).toContainText('Sasha');
  await expect(row).toContainText('Longest idle');
  await snap(page, 'destinations');

  // The picker on a channel finds it by search.
  await page.goto('/channels');
  await page.getByRole('link', { name: 'Demo Company Help' }).click();
  await page.getByRole('button', { name: 'Add Destination' }).click();
  const picker = page.getByRole('dialog', { name: 'Add Destination' });
  await picker.getByRole('searchbox').fill('vi');
  await expect(picker.getByRole('radio')).toHaveCount(1);
  await picker.getByRole('radio', { name: /VIP/ }).check();
  await picker.getByRole('button', { name: 'Add' }).click();
  await expect(page.locator('ol.dests > li .dest-name')).toHaveText(['Sales', 'Support', 'VIP']);
  // Removing asks first.
  await page.getByRole('button', { name: 'Remove VIP' }).click();
  await page.getByRole('dialog', { name: 'Remove destination' }).getByRole('button', { name: 'Remove' }).click();
  await expect(page.locator('ol.dests > li .dest-name')).toHaveText(['Sales', 'Support']);
});

test('the simulator says where an enquiry would go and why @screenshot', async ({ page, loginAs }) => {
  await loginAs(page, 'admin', { path: '/channels' });
  await page.getByRole('link', { name: 'Demo Company Shop' }).click();
  const sim = page.getByRole('region', { name: 'Where would an enquiry go?' });
  await sim.getByRole('button', { name: 'Simulate an enquiry' }).click();
  await expect(sim.getByRole('status')).toContainText('would be missed');
  await sim.getByText('Pretend someone’s availability is different').click();
  await sim.getByRole('combobox', { name: /Sam Seller/ }).selectOption('available');
  await sim.getByRole('button', { name: 'Simulate an enquiry' }).click();
  await expect(sim.getByRole('status')).toContainText('would be offered to Sam in Sales');
  await snap(page, 'channel-simulator');
});

test('check connection shows every step', async ({ page, loginAs }) => {
  await loginAs(page, 'admin', { path: '/channels' });
  await page.getByRole('link', { name: 'Demo Company Help' }).click();
  await page.getByRole('button', { name: 'Check connection' }).click();
  await expect(page.getByText(/Everything works/)).toBeVisible();
  const steps = page.getByRole('list', { name: 'Connection check steps' });
  await expect(steps).toContainText('Page access token');
  await expect(steps).toContainText('Permission pages_messaging');
  await expect(steps).toContainText('Webhook subscription: messages');
});

test('my profile changes my password, with my current one', async ({ page, loginAs, demo }) => {
  await loginAs(page, 'admin', { path: '/profile' });
  await page.getByLabel('Current password').fill(demo.password);
  await page.getByLabel('New password', { exact: true }).fill('another-password-1');
  await page.getByLabel('New password again').fill('another-password-2');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('New password again: differs from the new password.')).toBeVisible();
  await page.getByLabel('New password again').fill('another-password-1');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText(/^Password changed\./)).toBeVisible();
  await expect(page.getByLabel('Current password')).toHaveValue('');
  // The new password logs in (in a separate session, so this one keeps its cookie).
  const other = await request.newContext({ baseURL: demo.serverUrl });
  const res = await other.post('/api/v1/auth/login', { data: { email: 'admin@demo.example', password: 'another-password-1' } });
  expect(res.ok()).toBeTruthy();
  await other.dispose();
  // Put it back for the rest of the file.
  await page.getByLabel('Current password').fill('another-password-1');
  await page.getByLabel('New password', { exact: true }).fill(demo.password);
  await page.getByLabel('New password again').fill(demo.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText(/^Password changed\./)).toBeVisible();
});

test('an agent edits their own profile and password, and sees no admin screen', async ({ page, loginAs, demo }) => {
  await loginAs(page, 'agent', { path: '/profile' });
  await expect(page.getByRole('heading', { name: 'My profile' })).toBeVisible();
  await expect(page.getByRole('definition').filter({ hasText: 'sales@demo.example' })).toBeVisible();

  // Names: the display name is saved and the top bar follows.
  const shown = `Sam ${Date.now() % 100000}`;
  await page.getByLabel('Display name').fill(shown);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Profile saved.')).toBeVisible();
  await expect(page.getByTitle('My profile')).toHaveText(shown);
  // An empty first name is refused at its field.
  await page.getByLabel('First name').fill('');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByLabel('First name')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('alert').filter({ hasText: /^First name: / })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Display name')).toHaveValue(shown);
  await expect(page.getByLabel('First name')).not.toHaveValue('');

  // Password: a wrong current password is refused at its field.
  await page.getByLabel('Current password').fill('not-my-password');
  await page.getByLabel('New password', { exact: true }).fill('agent-password-new-1');
  await page.getByLabel('New password again').fill('agent-password-new-1');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Current password: is not your current password.')).toBeVisible();
  await expect(page.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');
  // The right one changes it; this session stays.
  await page.getByLabel('Current password').fill(demo.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText(/^Password changed\./)).toBeVisible();
  await expect(page.getByRole('heading', { name: 'My profile' })).toBeVisible();

  const login = async (password: string) => {
    const other = await request.newContext({ baseURL: demo.serverUrl });
    try {
      return (await other.post('/api/v1/auth/login', { data: { email: 'sales@demo.example', password } })).status();
    } finally {
      await other.dispose();
    }
  };
  expect(await login(demo.password)).toBe(401);
  expect(await login('agent-password-new-1')).toBe(200);

  // Put it back for anything after this test.
  await page.getByLabel('Current password').fill('agent-password-new-1');
  await page.getByLabel('New password', { exact: true }).fill(demo.password);
  await page.getByLabel('New password again').fill(demo.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText(/^Password changed\./)).toBeVisible();

  // No admin screens.
  await expect(page.getByRole('link', { name: 'Omnichannels' })).toHaveCount(0);
  await page.goto('/channels');
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
});
