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

// The banner since 824c487: the web app first, in a sentence.
const OPEN_SENTENCE = `omnidesk demo is running — data in /tmp/d (seeded just now)

  Open http://127.0.0.1:7777/ (the web app) and log in as admin@demo.example, or as an agent below.
  Logins (password for all: demo-xyz_-1)
    admin  admin@demo.example     
    agent  sales@demo.example     Sam Seller (Sales)
    agent  support@demo.example   Sasha Helper (Support)

  Visitors' Messenger (open one, type to the Page, and the enquiry shows up in the web app):
    Vera Visitor     → Demo Company Shop  http://127.0.0.1:8888/_emulator/chat/990000000000001/880000000000001
    Wanda Caller     → Demo Company Help  http://127.0.0.1:8888/_emulator/chat/990000000000002/880000000000003

  Facebook emulator http://127.0.0.1:8888/_emulator/
  API               http://127.0.0.1:7777/api/v1 (described at http://127.0.0.1:7777/api/openapi.json)

  Ctrl-C stops the server and the emulator.
`;

test('the banner parser reads the banner that opens with the web app in a sentence', () => {
  const info = parseBanner(OPEN_SENTENCE);
  expect(info.serverUrl).toBe('http://127.0.0.1:7777');
  expect(info.emulatorUrl).toBe('http://127.0.0.1:8888');
  expect(info.password).toBe('demo-xyz_-1');
  expect(info.logins?.map((l) => `${l.role} ${l.email}`)).toEqual([
    'admin admin@demo.example',
    'agent sales@demo.example',
    'agent support@demo.example',
  ]);
  expect(info.visitors?.map((v) => `${v.name}/${v.pageName}/${v.pageId}/${v.psid}`)).toEqual([
    'Vera Visitor/Demo Company Shop/990000000000001/880000000000001',
    'Wanda Caller/Demo Company Help/990000000000002/880000000000003',
  ]);
});

// Another plausible layout: a "Web app" row.
const WEB_APP_FIRST = `omnidesk demo is running — data in /tmp/d (reused)

  Web app           http://127.0.0.1:5555/
  API               http://127.0.0.1:5555/api/v1
  Facebook emulator http://127.0.0.1:6666/_emulator/
    Vera Visitor -> Demo Company Shop http://127.0.0.1:6666/_emulator/chat/990000000000001/880000000000001
  Logins (password for all: demo-abc)
    admin  admin@demo.example
    agent  sales@demo.example     Sam Seller (Sales)
`;

test('the banner parser reads the banner before 824c487 (API first, log lines around it)', () => {
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
