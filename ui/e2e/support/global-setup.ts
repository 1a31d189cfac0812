// Fails the run at once, with the fix, when the binary or the browser is
// missing (instead of every test failing the same way).
import { existsSync } from 'node:fs';
import { demoBinary } from './demo';

export default function globalSetup(): void {
  const chromium = process.env.OMNIDESK_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    throw new Error(`Chromium is missing at ${chromium}: apt-get install -y chromium (scripts/ensure-browser.sh does it)`);
  }
  const binary = demoBinary();
  if (!existsSync(binary)) {
    throw new Error(`the omnidesk binary is missing at ${binary}: run \`cargo build -p omnidesk\` first (or set OMNIDESK_BIN)`);
  }
}
