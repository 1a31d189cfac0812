// Starts the real `omnidesk demo` binary for browser tests: a fresh data dir,
// any free ports, and everything a test needs to use it (URLs, password,
// logins, visitors) read from its banner and its demo.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmulatorClient } from './emulator';

/** The repository's root (ui/e2e/support → ../../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface DemoLogin {
  /** `admin` or `agent`. */
  role: string;
  email: string;
  /** E.g. the agent's destination (`Sales`). */
  note: string;
}

export interface DemoVisitor {
  name: string;
  pageName: string;
  pageId: string;
  psid: string;
  /** The visitor's Messenger window in the emulator. */
  chatUrl: string;
}

export interface DemoInfo {
  /** `http://127.0.0.1:PORT` of the server (the web app and the API), no trailing slash. */
  serverUrl: string;
  /** `http://127.0.0.1:PORT` of the Facebook emulator, no trailing slash. */
  emulatorUrl: string;
  dataDir: string;
  /** The password of every demo login. */
  password: string;
  /** The admin first, then the agents (as the banner lists them). */
  logins: DemoLogin[];
  /** The seeded visitors (Vera, Victor, Wanda) and their Pages. */
  visitors: DemoVisitor[];
  /** The demo's Pages, from the visitors' lines: id and name. */
  pages: { id: string; name: string }[];
}

export interface Demo extends DemoInfo {
  /** The emulator's control API. */
  emulator: EmulatorClient;
  /** Everything the process printed so far (stdout and stderr, interleaved). */
  output(): string;
  /** SIGTERM, wait for the graceful stop (SIGKILL after 10 s), delete the data dir. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Default: env OMNIDESK_BIN, else target/debug/omnidesk of this repository. */
  binary?: string;
  /** How long to wait for the banner and /readyz. Default 90 s. */
  timeoutMs?: number;
  /** Keep the data dir after stop (for debugging). Default: env OMNIDESK_KEEP_DEMO_DATA=1. */
  keepData?: boolean;
}

export function demoBinary(): string {
  if (process.env.OMNIDESK_BIN) return resolve(process.env.OMNIDESK_BIN);
  const targetDir = process.env.CARGO_TARGET_DIR ? resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR) : join(REPO_ROOT, 'target');
  return join(targetDir, 'debug', 'omnidesk');
}

const URL_RE = /https?:\/\/[^\s'"]+/g;

/** `http://host:port` of a URL. */
function origin(url: string): string {
  return new URL(url).origin;
}

/**
 * Reads what a test needs from the demo's banner. Tolerant of layout changes:
 * it looks for URLs and patterns, not for columns or line numbers.
 * Exported for its unit test.
 */
export function parseBanner(output: string): Partial<DemoInfo> {
  const info: Partial<DemoInfo> = {};
  // Log lines may be interleaved (and coloured): drop escapes, and start at
  // the banner's first line when it is there.
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const start = plain.search(/omnidesk demo is running/i);
  const text = start >= 0 ? plain.slice(start) : plain;
  const urls = [...text.matchAll(URL_RE)].map((m) => m[0].replace(/[).,;]+$/, ''));
  const emulatorUrl = urls.find((u) => u.includes('/_emulator'));
  if (emulatorUrl) info.emulatorUrl = origin(emulatorUrl);
  // The server: the web app's URL (a line naming it), else whatever URL the
  // API / OpenAPI lines show, else the first URL not on the emulator.
  const lines = text.split('\n');
  const lineUrl = (pattern: RegExp) => {
    const line = lines.find((l) => pattern.test(l) && /https?:\/\//.test(l));
    return line?.match(/https?:\/\/[^\s'"]+/)?.[0];
  };
  const server =
    lineUrl(/web ?app|browser/i) ??
    urls.find((u) => /\/api\/(v1|openapi)/.test(u)) ??
    urls.find((u) => !info.emulatorUrl || origin(u) !== info.emulatorUrl);
  if (server && (!info.emulatorUrl || origin(server) !== info.emulatorUrl)) info.serverUrl = origin(server);

  const password = text.match(/password[^:\n]*:\s*([^\s)]+)/i);
  if (password) info.password = password[1];

  const logins: DemoLogin[] = [];
  for (const line of lines) {
    const m = line.match(/^\s*(admin|agent)\s+([^\s@]+@[^\s]+)\s*(.*)$/);
    if (m) logins.push({ role: m[1]!, email: m[2]!, note: m[3]!.trim() });
  }
  if (logins.length) info.logins = logins;

  const visitors: DemoVisitor[] = [];
  for (const line of lines) {
    const m = line.match(/^\s*(.+?)\s+(?:→|->)\s+(.+?)\s+(https?:\/\/\S+\/_emulator\/chat\/(\d+)\/(\d+))\s*$/);
    if (m) visitors.push({ name: m[1]!, pageName: m[2]!, chatUrl: m[3]!, pageId: m[4]!, psid: m[5]! });
  }
  if (visitors.length) info.visitors = visitors;
  return info;
}

function readDemoJson(dataDir: string): { password?: string; server_url?: string; emulator_url?: string } | null {
  const path = join(dataDir, 'demo.json');
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null; // being written (it is renamed into place, but be safe)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function killAllOnExit() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A worker that dies without running fixture teardown must not leave demos behind.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** Starts `omnidesk demo` and resolves once the server answers /readyz. */
export async function startDemo(options: StartOptions = {}): Promise<Demo> {
  const binary = options.binary ?? demoBinary();
  if (!existsSync(binary)) {
    throw new Error(
      `the omnidesk binary is missing at ${binary}: run \`cargo build -p omnidesk\` first (or set OMNIDESK_BIN)`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 90_000;
  const keepData = options.keepData ?? process.env.OMNIDESK_KEEP_DEMO_DATA === '1';
  const dataDir = mkdtempSync(join(tmpdir(), 'omnidesk-e2e-'));
  const child = spawn(
    binary,
    ['demo', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--emulator-listen', '127.0.0.1:0'],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, OMNIDESK_LOG: process.env.OMNIDESK_LOG ?? 'warn', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  killAllOnExit();

  let stdout = '';
  let all = '';
  let lastStdoutAt = 0;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    all += chunk;
    lastStdoutAt = Date.now();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    all += chunk;
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolveExit) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolveExit();
    });
  });

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exitPromise.then(() => false), sleep(10_000).then(() => true)]);
      if (killed) {
        child.kill('SIGKILL');
        await exitPromise;
      }
    }
    if (!keepData) rmSync(dataDir, { recursive: true, force: true });
  };

  const fail = async (why: string): Promise<never> => {
    await stop();
    throw new Error(`omnidesk demo did not start: ${why}\n--- its output ---\n${all}`);
  };

  // 1. The banner: complete once the last line ("Ctrl-C …") is there, or once
  //    the URLs are known and the output has been quiet for a moment.
  const deadline = Date.now() + timeoutMs;
  let info: Partial<DemoInfo> = {};
  for (;;) {
    if (exited) return fail(`it exited (${JSON.stringify(exited)})`);
    if (Date.now() > deadline) return fail(`no complete banner within ${timeoutMs} ms`);
    info = parseBanner(stdout);
    const complete = /ctrl-c/i.test(stdout) || (info.serverUrl && info.emulatorUrl && Date.now() - lastStdoutAt > 1500);
    if (complete && info.serverUrl && info.emulatorUrl) break;
    await sleep(50);
  }

  // 2. demo.json, when it has them, is the authority (it is written for programs).
  const state = readDemoJson(dataDir);
  if (state?.password) info.password = state.password;
  if (state?.server_url) info.serverUrl = origin(state.server_url);
  if (state?.emulator_url) info.emulatorUrl = origin(state.emulator_url);
  if (!info.password) return fail('no password in the banner or demo.json');

  // 3. Ready: the server says so.
  for (;;) {
    if (exited) return fail(`it exited (${JSON.stringify(exited)})`);
    if (await answers(`${info.serverUrl}/readyz`)) break;
    if (Date.now() > deadline) return fail(`${info.serverUrl}/readyz did not answer 200 within ${timeoutMs} ms`);
    await sleep(100);
  }

  const visitors = info.visitors ?? [];
  const pages: { id: string; name: string }[] = [];
  for (const v of visitors) {
    if (!pages.some((p) => p.id === v.pageId)) pages.push({ id: v.pageId, name: v.pageName });
  }
  return {
    serverUrl: info.serverUrl!,
    emulatorUrl: info.emulatorUrl!,
    dataDir,
    password: info.password,
    logins: info.logins ?? [],
    visitors,
    pages,
    emulator: new EmulatorClient(info.emulatorUrl!),
    output: () => all,
    stop,
  };
}
