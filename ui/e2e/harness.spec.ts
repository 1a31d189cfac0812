// The harness's own checks that need no browser: the banner parser keeps
// working when the banner's layout changes.
import { test, expect } from '@playwright/test';
import { parseBanner } from './support/demo';

const TODAY = `\x1b[2m2026-12-02T11:18:40Z\x1b[0m INFO Facebook emulator listening base_url=http://127.0.0.1:36421/

omnidesk demo is running — data in /tmp/d (seeded just now)

  API               http://127.0.0.1:44483/api/v1
  OpenAPI           http://127.0.0.1:44483/api/openapi.json
  Facebook emulator http://127.0.0.1:36421/_emulator/
  Visitors' Messenger (open one and type to the Page):
    Vera Visitor     → Demo Company Shop  http://127.0.0.1:36421/_emulator/chat/990000000000001/880000000000001
    Wanda Caller     → Demo Company Help  http://127.0.0.1:36421/_emulator/chat/990000000000002/880000000000003

  Logins (password for all: demo-zB9D48J-bNdR)
    admin  admin@demo.example     
    agent  sales@demo.example     Sam Seller (Sales)
    agent  support@demo.example   Sasha Helper (Support)

  Try it:
    CSRF=$(curl -s -c demo.jar -d '{"email":"admin@demo.example","password":"demo-zB9D48J-bNdR"}' http://127.0.0.1:44483/api/v1/auth/login)

  Ctrl-C stops the server and the emulator.
`;

// A plausible next layout: the web app first.
const WEB_APP_FIRST = `omnidesk demo is running — data in /tmp/d (reused)

  Web app           http://127.0.0.1:5555/
  API               http://127.0.0.1:5555/api/v1
  Facebook emulator http://127.0.0.1:6666/_emulator/
    Vera Visitor -> Demo Company Shop http://127.0.0.1:6666/_emulator/chat/990000000000001/880000000000001
  Logins (password for all: demo-abc)
    admin  admin@demo.example
    agent  sales@demo.example     Sam Seller (Sales)
`;

test('the banner parser reads the current banner', () => {
  const info = parseBanner(TODAY);
  expect(info.serverUrl).toBe('http://127.0.0.1:44483');
  expect(info.emulatorUrl).toBe('http://127.0.0.1:36421');
  expect(info.password).toBe('demo-zB9D48J-bNdR');
  expect(info.logins).toEqual([
    { role: 'admin', email: 'admin@demo.example', note: '' },
    { role: 'agent', email: 'sales@demo.example', note: 'Sam Seller (Sales)' },
    { role: 'agent', email: 'support@demo.example', note: 'Sasha Helper (Support)' },
  ]);
  expect(info.visitors?.[1]).toEqual({
    name: 'Wanda Caller',
    pageName: 'Demo Company Help',
    pageId: '990000000000002',
    psid: '880000000000003',
    chatUrl: 'http://127.0.0.1:36421/_emulator/chat/990000000000002/880000000000003',
  });
});

test('the banner parser reads a banner that leads with the web app', () => {
  const info = parseBanner(WEB_APP_FIRST);
  expect(info.serverUrl).toBe('http://127.0.0.1:5555');
  expect(info.emulatorUrl).toBe('http://127.0.0.1:6666');
  expect(info.password).toBe('demo-abc');
  expect(info.logins?.map((l) => l.email)).toEqual(['admin@demo.example', 'sales@demo.example']);
  expect(info.visitors?.[0]?.psid).toBe('880000000000001');
});
