// Set-up step: converts @upscalerjs/esrgan-thick into the built-in per-frame pack (native-models/generated/
// esrgan-thick). Skips the work when the pack there is current. `--check` converts into a temporary folder and
// fails unless every file is byte-identical to the installed pack (the conversion is reproducible).
// Run: node dist/main/engine/perframe/convert-builtin.js [--check] [--out DIR]   (or npx tsx main/engine/perframe/convert-builtin.ts)
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generatedPackDir } from '../pack/builtin-per-frame';
import { esrganPackageDir, esrganPackIsCurrent, writeEsrganPack } from './esrgan-converter';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const outDir = outIndex >= 0 ? path.resolve(args[outIndex + 1]) : generatedPackDir('esrgan-thick');
  const packageDir = esrganPackageDir();
  if (!packageDir) {
    console.error('convert: @upscalerjs/esrgan-thick is not installed (npm ci installs it); the built-in ESRGAN pack is not available.');
    return 1;
  }
  if (args.includes('--check')) {
    const temp = await fs.mkdtemp(path.join(os.tmpdir(), 'upframe-esrgan-check-'));
    try {
      const fresh = await writeEsrganPack(packageDir, path.join(temp, 'pack'));
      const a = await fs.readFile(path.join(fresh, 'manifest.json'), 'utf8');
      const b = await fs.readFile(path.join(outDir, 'manifest.json'), 'utf8').catch(() => null);
      if (a !== b) {
        console.error(`convert --check: ${outDir} differs from a fresh conversion (or is missing); run npm run setup.`);
        return 1;
      }
      console.log(`convert --check: ${outDir} is reproducible`);
      return 0;
    } finally {
      await fs.rm(temp, { recursive: true, force: true });
    }
  }
  if (await esrganPackIsCurrent(packageDir, outDir)) {
    console.log(`convert: ESRGAN (thick) pack is current in ${outDir}`);
    return 0;
  }
  await writeEsrganPack(packageDir, outDir, { log: (m) => console.log(`convert: ESRGAN (thick) ${m}`) });
  console.log(`convert: ESRGAN (thick) pack written to ${outDir}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`convert: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
