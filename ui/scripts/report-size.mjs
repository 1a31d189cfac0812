// Reports the gzip-compressed size of the JavaScript and CSS the first load
// fetches (every asset index.html references, plus what those import
// statically), and fails the build over the budget.
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const BUDGET_JS_GZIP = 150 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const entries = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]);

const seen = new Set();
const queue = [...entries];
while (queue.length) {
  const file = queue.shift();
  if (seen.has(file)) continue;
  seen.add(file);
  if (!file.endsWith('.js')) continue;
  const code = readFileSync(join(dist, file), 'utf8');
  // Static imports of other chunks: `import ... from "./x.js"` / `import "./x.js"`.
  for (const m of code.matchAll(/(?:^|[;}\s])import\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+\.js)["']/g)) {
    queue.push(`assets/${m[1]}`);
  }
}

let js = 0;
let css = 0;
const rows = [];
for (const file of [...seen].sort()) {
  const gz = gzipSync(readFileSync(join(dist, file))).length;
  if (file.endsWith('.js')) js += gz;
  if (file.endsWith('.css')) css += gz;
  rows.push(`  ${file}  ${(gz / 1024).toFixed(1)} KB gzip`);
}
const lazy = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js') && !seen.has(`assets/${f}`));
console.log('first load:');
console.log(rows.join('\n'));
console.log(`first-load JavaScript: ${(js / 1024).toFixed(1)} KB gzip (budget ${BUDGET_JS_GZIP / 1024} KB); CSS ${(css / 1024).toFixed(1)} KB gzip; ${lazy.length} lazy chunk(s)`);
if (js > BUDGET_JS_GZIP) {
  console.error('over the first-load JavaScript budget');
  process.exit(1);
}
