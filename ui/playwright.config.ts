// Browser tests: Debian's Chromium (never a downloaded browser) against the
// real `omnidesk demo` binary, which ui/e2e/fixtures.ts starts per spec file.
// Run them with `scripts/test` (everything) or, in ui/, `npx playwright test`
// after `cargo build -p omnidesk`. See docs/development.md, "Web app".
import { defineConfig } from '@playwright/test';

const CI = !!process.env.CI;
// Traces, screenshots and the JSON results; E2E_OUTPUT_DIR keeps two runs in
// one work tree from wiping each other's (each run empties it first).
const outputDir = process.env.E2E_OUTPUT_DIR ?? './test-results';

export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  outputDir,
  globalSetup: './e2e/support/global-setup.ts',
  // Tests in a file run in order and share its demo; files run in parallel.
  fullyParallel: false,
  // 2 cores: two workers (each with its own demo and browser) is the most
  // this machine runs well. E2E_WORKERS=1 for a calmer run.
  workers: Number(process.env.E2E_WORKERS ?? 2),
  forbidOnly: CI,
  retries: CI ? 1 : 0,
  timeout: 30_000,
  expect: { timeout: 7_000 },
  reporter: [['list'], ['json', { outputFile: `${outputDir}/e2e-results.json` }]],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.OMNIDESK_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    viewport: { width: 1366, height: 850 },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    video: 'off',
  },
});
