#!/usr/bin/env node
// Runs every suite (vitest: unit + integration; playwright: end-to-end + Electron smoke) and prints one
// closing line with the totals. Skipped tests are counted as skipped, never as passed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

// Not test-results/: playwright empties its output folder when it starts.
const out = path.resolve('test-reports');
mkdirSync(out, { recursive: true });
const vitestJson = path.join(out, 'vitest.json');
const pwJson = path.join(out, 'playwright.json');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

const vitest = spawnSync(npx, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`], { stdio: 'inherit' });
const pw = spawnSync(npx, ['playwright', 'test', '--reporter=list,json'], {
  stdio: 'inherit',
  env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson },
});

let passed = 0, failed = 0, skipped = 0;
if (existsSync(vitestJson)) {
  const r = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests ?? 0);
} else failed += 1;
if (existsSync(pwJson)) {
  const s = JSON.parse(readFileSync(pwJson, 'utf8')).stats;
  passed += s.expected + s.flaky; failed += s.unexpected; skipped += s.skipped;
} else failed += 1;
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(vitest.status === 0 && pw.status === 0 && failed === 0 ? 0 : 1);
