// The harness's helpers against a real demo. A fresh visitor
// writes (control API and Messenger window) and the Page answers — nobody is
// online, so the enquiry is missed and the visitor gets the channel's
// welcome/away messages.
import { test, expect, visitorTypes } from './fixtures';

test('a fresh visitor writes through the control API and the Page answers', async ({ emulator, newVisitor }) => {
  const visitor = await newVisitor();
  expect(visitor.name).toMatch(/^Tess Tester /);
  await visitor.says('Hello from the control API');
  const reply = await emulator.waitForReceived(visitor.psid, /\S/, 15_000);
  expect(reply.from).toBe('page');
  const thread = await emulator.thread(visitor.psid);
  expect(thread.some((i) => i.from === 'visitor' && i.text === 'Hello from the control API')).toBe(true);
});

test('a visitor types in their Messenger window', async ({ emulator, newVisitor, openVisitorChat }) => {
  const visitor = await newVisitor({ page: 'help' });
  const chat = await openVisitorChat(visitor);
  await expect(chat.getByRole('heading', { name: 'Demo Company Help' })).toBeVisible();
  await visitorTypes(chat, 'Typed in the Messenger window');
  const thread = await emulator.thread(visitor.psid);
  expect(thread.some((i) => i.from === 'visitor' && i.text === 'Typed in the Messenger window')).toBe(true);
});

test('faults and the clock can be set and cleared', async ({ emulator }) => {
  // Latency only: the demo's own sends (welcome, away) may run meanwhile.
  await emulator.setFault('messages', { latency_ms: 1 });
  expect(Object.keys(await emulator.faults())).toContain('messages');
  await emulator.clearFaults();
  expect(await emulator.faults()).toEqual({});
  const clock = await emulator.setClock(60_000);
  expect(clock.offset_ms).toBe(60_000);
  await emulator.setClock(0);
});

test('apiAs calls the API as a staff member, with CSRF', async ({ apiAs, demo }) => {
  const agent = await apiAs('agent');
  const me = await agent.get('/api/v1/me');
  expect(me.staff.email).toBe(agent.login.email);
  const admin = await apiAs('admin');
  expect((await admin.get('/api/v1/me')).staff.role).toBe('admin');
  // A write goes through (the CSRF header is sent): logging out ends that session.
  await agent.post('/api/v1/auth/logout');
  expect((await agent.raw('GET', '/api/v1/me')).status()).toBe(401);
  expect(demo.logins.length).toBeGreaterThanOrEqual(3);
});

test('pageAs opens a second logged-in user beside the first', async ({ page, loginAs, pageAs }) => {
  await loginAs(page, 'agent');
  const admin = await pageAs('admin', { path: '/chats' });
  await expect(admin).toHaveURL(/\/chats$/);
  // Separate cookie jars: the first page is still the agent's.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
});
