// The browser tests' fixtures. Every spec imports `test` and `expect` from
// here instead of '@playwright/test':
//
//   import { test, expect } from './fixtures';
//   test('an agent takes a chat', async ({ page, demo, emulator, loginAs, newVisitor }) => { … });
//
// * `demo`: the real `omnidesk demo` binary with a fresh data dir, started
//   once per spec FILE (its tests share it, in order) and stopped after the
//   file; `test.use({ demoPerTest: true })` gives each test its own.
// * `baseURL` is the demo's server, so `page.goto('/chats')` works.
// * `loginAs(page, 'admin'|'agent'|'agent2'|email, { path, via })`,
//   `pageAs(who)` (a second browser user), `apiAs(who)` (the API, no browser),
//   `newVisitor()` / `openVisitorChat(v)` / `visitorTypes(chat, text)`,
//   `emulator` (the control API, support/emulator.ts), `snap(page, name)`.
// * Every test fails on a console error or an uncaught exception in any page
//   of its browser context (CSP violations are console errors); allow the
//   ones a test expects with `consoleErrors.allow(/pattern/)` or
//   `test.use({ allowConsoleErrors: [/pattern/] })`.
import { test as base, expect, type APIRequestContext, type APIResponse, type BrowserContext, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, startDemo, type Demo, type DemoLogin } from './support/demo';
import { EmulatorClient, unique, type VisitorInfo } from './support/emulator';

export { expect };
export type { Demo, DemoLogin } from './support/demo';
export { EmulatorClient, unique } from './support/emulator';
export type { VisitorInfo, ThreadItem, Fault, Consent, VisitorEvent } from './support/emulator';

/** Who to log in as: the seeded admin, the first or second agent, or any e-mail address. */
export type Who = 'admin' | 'agent' | 'agent2' | (string & {});

export interface LoginOptions {
  /** Where to go once logged in. Default `/`. */
  path?: string;
  /**
   * `api` (default, fast): POST /api/v1/auth/login from the page's context
   * (same cookie jar), then open `path`. `form`: open `path` and fill in the
   * login page like a person.
   */
  via?: 'api' | 'form';
  /** Default: the demo's password. */
  password?: string;
}

export type LoginAs = (page: Page, who: Who, options?: LoginOptions) => Promise<DemoLogin>;

export interface NewVisitorOptions {
  /** `shop` (default), `help`, or a Page id. */
  page?: 'shop' | 'help' | (string & {});
  firstName?: string;
  /** Default: a unique name, so the visitor's enquiry is easy to find in lists. */
  lastName?: string;
  profilePic?: string;
}

export interface TestVisitor extends VisitorInfo {
  /** `First Last`. */
  name: string;
  /** The visitor's Messenger window in the emulator (open it in a second page to type as them). */
  chatUrl: string;
  /** Shorthand for emulator.visitorSays(psid, text). */
  says(text: string): Promise<void>;
}

/**
 * The API as one staff member, outside the browser: for setting up or
 * checking state without clicking (JSON in, JSON out; CSRF handled). The
 * JSON methods throw on a non-2xx answer; `raw` returns whatever came.
 */
export interface StaffApi {
  login: DemoLogin;
  /** The raw request context (cookie jar of this login). */
  request: APIRequestContext;
  get<T = any>(path: string): Promise<T>;
  post<T = any>(path: string, body?: unknown): Promise<T>;
  put<T = any>(path: string, body?: unknown): Promise<T>;
  patch<T = any>(path: string, body?: unknown): Promise<T>;
  delete<T = any>(path: string): Promise<T>;
  /** Any call, answering the APIResponse whatever its status. */
  raw(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<APIResponse>;
}

export interface ConsoleGuard {
  /** Allows console errors / page errors matching this (string: substring) for the rest of the test. */
  allow(pattern: string | RegExp): void;
  /** What was seen so far (allowed or not). */
  seen(): string[];
}

type TestFixtures = {
  /** Give each test its own demo instead of one per file. */
  demoPerTest: boolean;
  /** Console errors this test expects (string: substring of "text @ url"). */
  allowConsoleErrors: (string | RegExp)[];
  demo: Demo;
  emulator: EmulatorClient;
  loginAs: LoginAs;
  newVisitor: (options?: NewVisitorOptions) => Promise<TestVisitor>;
  /**
   * A second (third, …) browser user: a page in a new context (own cookies),
   * logged in as `who` at `path` (default `/`); under the same console guard;
   * closed after the test. For two agents, or an admin watching an agent.
   */
  pageAs: (who: Who, options?: LoginOptions) => Promise<Page>;
  /** `await apiAs('admin')` — the API logged in as that staff member (see StaffApi). */
  apiAs: (who: Who) => Promise<StaffApi>;
  /** Opens the visitor's Messenger window (emulator) in a new page of the test's context. */
  openVisitorChat: (visitor: { page_id: string; psid: string } | { pageId: string; psid: string }) => Promise<Page>;
  consoleErrors: ConsoleGuard;
};

type WorkerFixtures = {
  demoPool: DemoPool;
};

/**
 * Console errors every test may see: the app's anonymous session check, and
 * the browser asking the emulator's pages for a favicon it does not have.
 */
const ALWAYS_ALLOWED: RegExp[] = [
  /status of 401 .* @ .*\/api\/v1\/me(\?.*)?$/,
  /Failed to load resource: .* @ .*\/favicon\.ico$/,
];

/** One demo per spec file: a worker runs files one after another. */
class DemoPool {
  private current: { file: string; demo: Demo } | null = null;

  async forFile(file: string): Promise<Demo> {
    if (this.current?.file === file) return this.current.demo;
    await this.stop();
    const demo = await startDemo();
    this.current = { file, demo };
    return demo;
  }

  async stop(): Promise<void> {
    const current = this.current;
    this.current = null;
    if (current) await current.demo.stop();
  }
}

const DEMO_START_TIMEOUT = 120_000;

export const test = base.extend<TestFixtures, WorkerFixtures>({
  demoPerTest: [false, { option: true }],
  allowConsoleErrors: [[], { option: true }],

  demoPool: [
    async ({}, use) => {
      const pool = new DemoPool();
      await use(pool);
      await pool.stop();
    },
    { scope: 'worker', timeout: DEMO_START_TIMEOUT },
  ],

  demo: [
    async ({ demoPool, demoPerTest }, use, testInfo) => {
      if (demoPerTest) {
        const demo = await startDemo();
        try {
          await use(demo);
        } finally {
          await demo.stop();
        }
        return;
      }
      const demo = await demoPool.forFile(testInfo.file);
      await use(demo);
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('demo output', { body: demo.output(), contentType: 'text/plain' });
      }
    },
    { timeout: DEMO_START_TIMEOUT },
  ],

  baseURL: async ({ demo }, use) => {
    await use(demo.serverUrl);
  },

  emulator: async ({ demo }, use) => {
    await use(demo.emulator);
  },

  loginAs: async ({ demo }, use) => {
    await use(async (page, who, options = {}) => {
      const login = resolveLogin(demo, who);
      const password = options.password ?? demo.password;
      const path = options.path ?? '/';
      if ((options.via ?? 'api') === 'api') {
        const res = await page.request.post(`${demo.serverUrl}/api/v1/auth/login`, {
          data: { email: login.email, password },
        });
        if (!res.ok()) throw new Error(`logging in as ${login.email} answered ${res.status()}: ${await res.text()}`);
        await page.goto(path);
      } else {
        await page.goto(path);
        await page.getByLabel('E-mail address').fill(login.email);
        await page.getByLabel('Password').fill(password);
        await page.getByRole('button', { name: 'Log in' }).click();
      }
      await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible({ timeout: 15_000 });
      return login;
    });
  },

  newVisitor: async ({ demo }, use) => {
    await use(async (options = {}) => {
      const pageId =
        !options.page || options.page === 'shop'
          ? (demo.pages[0]?.id ?? '990000000000001')
          : options.page === 'help'
            ? (demo.pages[1]?.id ?? '990000000000002')
            : options.page;
      const firstName = options.firstName ?? 'Tess';
      const lastName = options.lastName ?? `Tester ${unique()}`;
      const v = await demo.emulator.createVisitor(pageId, firstName, lastName, options.profilePic);
      return {
        ...v,
        name: `${v.first_name} ${v.last_name}`.trim(),
        chatUrl: demo.emulator.chatUrl(v.page_id, v.psid),
        says: async (text: string) => {
          await demo.emulator.visitorSays(v.psid, text);
        },
      };
    });
  },

  pageAs: async ({ browser, baseURL, viewport, locale, timezoneId, loginAs, consoleErrors }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (who, options) => {
      const context = await browser.newContext({ baseURL, viewport, locale, timezoneId });
      contexts.push(context);
      watchConsole(context, consoleErrors as Guard);
      const page = await context.newPage();
      await loginAs(page, who, options);
      return page;
    });
    for (const c of contexts) await c.close();
  },

  apiAs: async ({ demo, playwright }, use) => {
    const contexts: APIRequestContext[] = [];
    await use(async (who) => {
      const login = resolveLogin(demo, who);
      const request = await playwright.request.newContext({ baseURL: demo.serverUrl });
      contexts.push(request);
      const res = await request.post('/api/v1/auth/login', { data: { email: login.email, password: demo.password } });
      if (!res.ok()) throw new Error(`API login as ${login.email} answered ${res.status()}: ${await res.text()}`);
      const csrf = ((await res.json()) as { csrf_token: string }).csrf_token;
      const raw = (method: string, path: string, body?: unknown) =>
        request.fetch(path, {
          method,
          headers: { 'x-csrf-token': csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          data: body === undefined ? undefined : JSON.stringify(body),
        });
      const call = async (method: string, path: string, body?: unknown) => {
        const r = await raw(method, path, body);
        const text = await r.text();
        if (!r.ok()) throw new Error(`${method} ${path} as ${login.email} answered ${r.status()}: ${text}`);
        return text ? JSON.parse(text) : undefined;
      };
      return {
        login,
        request,
        get: (path) => call('GET', path),
        post: (path, body) => call('POST', path, body),
        put: (path, body) => call('PUT', path, body),
        patch: (path, body) => call('PATCH', path, body),
        delete: (path) => call('DELETE', path),
        raw,
      };
    });
    for (const c of contexts) await c.dispose();
  },

  openVisitorChat: async ({ context, demo }, use) => {
    await use(async (visitor) => {
      const pageId = 'page_id' in visitor ? visitor.page_id : visitor.pageId;
      const chat = await context.newPage();
      await chat.goto(demo.emulator.chatUrl(pageId, visitor.psid));
      await expect(chat.getByPlaceholder('Aa')).toBeVisible();
      return chat;
    });
  },

  consoleErrors: async ({ allowConsoleErrors }, use) => {
    await use(new Guard([...ALWAYS_ALLOWED, ...allowConsoleErrors]));
  },

  // The guard: every page of the test's context reports its console errors
  // and uncaught exceptions; unexpected ones fail the test after it ran.
  context: async ({ context, consoleErrors }, use, testInfo) => {
    const guard = consoleErrors as Guard;
    watchConsole(context, guard);
    await use(context);
    const bad = guard.unexpected();
    if (bad.length && testInfo.status === testInfo.expectedStatus) {
      throw new Error(
        `${bad.length} unexpected console error(s) / page error(s) — allow expected ones with consoleErrors.allow(/…/):\n  ${bad.join('\n  ')}`,
      );
    }
  },
});

function watchConsole(context: BrowserContext, guard: Guard): void {
  context.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url ?? '';
    guard.record(`console error: ${msg.text()} @ ${url || msg.page()?.url() || '?'}`);
  });
  context.on('weberror', (err) => {
    const e = err.error();
    guard.record(`page error: ${e.message}${e.stack ? `\n${e.stack}` : ''} @ ${err.page()?.url() ?? '?'}`);
  });
}

class Guard implements ConsoleGuard {
  private entries: string[] = [];
  constructor(private allowed: (string | RegExp)[]) {}
  allow(pattern: string | RegExp): void {
    this.allowed.push(pattern);
  }
  seen(): string[] {
    return [...this.entries];
  }
  record(entry: string): void {
    this.entries.push(entry);
  }
  unexpected(): string[] {
    return this.entries.filter(
      (e) => !this.allowed.some((p) => (typeof p === 'string' ? e.includes(p) : p.test(e))),
    );
  }
}

/** Types `text` as the visitor in their Messenger window (see openVisitorChat) and sends it. */
export async function visitorTypes(chat: Page, text: string): Promise<void> {
  await chat.getByPlaceholder('Aa').fill(text);
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('#thread')).toContainText(text);
}

function resolveLogin(demo: Demo, who: Who): DemoLogin {
  const agents = demo.logins.filter((l) => l.role === 'agent');
  const found =
    who === 'admin'
      ? demo.logins.find((l) => l.role === 'admin')
      : who === 'agent'
        ? agents[0]
        : who === 'agent2'
          ? agents[1]
          : (demo.logins.find((l) => l.email === who) ?? { role: 'unknown', email: who, note: '' });
  if (!found) throw new Error(`the demo has no ${who} login (logins: ${JSON.stringify(demo.logins)})`);
  return found;
}

// ---- screenshots for docs/screenshots (scripts/screenshots)

export const SCREENSHOT_DIR = join(REPO_ROOT, 'docs', 'screenshots');
export const SIZES = {
  desktop: { width: 1366, height: 850 },
  phone: { width: 360, height: 780 },
} as const;

export interface SnapOptions {
  /** Which sizes to take; default both. The phone one is saved as `<name>-phone.png`. */
  sizes?: (keyof typeof SIZES)[];
  /** Capture the whole scrollable page. Default false. */
  fullPage?: boolean;
}

/** Whether this run refreshes docs/screenshots (env OMNIDESK_SCREENSHOTS=1). */
export const screenshotsEnabled = () => process.env.OMNIDESK_SCREENSHOTS === '1';

/**
 * Saves docs/screenshots/<name>.png (desktop, 1366×850) and <name>-phone.png
 * (360×780) of the page as it is now — only when OMNIDESK_SCREENSHOTS=1, so
 * ordinary runs never rewrite the committed files. Tag tests that call it
 * `@screenshot` (scripts/screenshots runs only those). The viewport is put
 * back afterwards.
 */
export async function snap(page: Page, name: string, options: SnapOptions = {}): Promise<void> {
  if (!screenshotsEnabled()) return;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`snap: use a lowercase file name like "agent-chat", not ${JSON.stringify(name)}`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const before = page.viewportSize();
  for (const size of options.sizes ?? ['desktop', 'phone']) {
    await page.setViewportSize(SIZES[size]);
    // Let the layout settle: fonts loaded, two frames painted.
    await page.evaluate(async () => {
      await document.fonts?.ready;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    });
    await page.screenshot({
      path: join(SCREENSHOT_DIR, size === 'desktop' ? `${name}.png` : `${name}-${size}.png`),
      animations: 'disabled',
      caret: 'hide',
      fullPage: options.fullPage ?? false,
    });
  }
  if (before) await page.setViewportSize(before);
}
