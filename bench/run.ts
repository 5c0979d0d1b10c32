// npm run bench: runs every bench/*.bench.ts in turn (each in its own process, through tsx), then repeats the
// figures each one reported on its BENCH_RESULT line. Exits 1 when any bench failed to run.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const benchDir = __dirname;
const tsx = pathToFileURL(require.resolve('tsx')).href;

function runBench(file: string): Promise<{ code: number | null; results: unknown[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, path.join(benchDir, file)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const results: unknown[] = [];
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      process.stdout.write(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('BENCH_RESULT ')) results.push(JSON.parse(line.slice('BENCH_RESULT '.length)));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (partial.startsWith('BENCH_RESULT ')) results.push(JSON.parse(partial.slice('BENCH_RESULT '.length)));
      resolve({ code, results });
    });
  });
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();
  if (files.length === 0) throw new Error(`No benchmarks found in ${benchDir}${only.length ? ` matching ${only.join(', ')}` : ''}.`);
  const summary: string[] = [];
  let failed = 0;
  for (const file of files) {
    console.log(`\n=== ${file} ===`);
    const started = Date.now();
    const { code, results } = await runBench(file);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (code !== 0) failed += 1;
    summary.push(`${code === 0 ? 'ok    ' : 'FAILED'} ${file} (${seconds} s)`);
    for (const result of results) summary.push(`         ${JSON.stringify(result)}`);
  }
  console.log(`\n=== summary ===\n${summary.join('\n')}`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
