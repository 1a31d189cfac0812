// The harness's emulator helpers against a real demo: a fresh visitor
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
