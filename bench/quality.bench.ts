// Quality on natural pictures (photographs Debian ships in python3-skimage, fetched with apt-get download and
// unpacked with dpkg-deb into .cache/quality-media, nothing installed):
//  1. Upscaling: each photograph (and a short clip made from them with pans and a zoom) downscaled by s with an
//     antialiased bicubic, enhanced back by bicubic, lanczos, the classic engine and the built-in ESRGAN pack,
//     PSNR-Y and SSIM-Y against the original. Targets: ESRGAN x4 >= bicubic + 0.8 dB, x2 >= bicubic + 0.3 dB; the
//     classic engine never below bicubic.
//  2. Interpolation: every other frame of the clip dropped, put back with k = 1 by the classic engine, by frame
//     repetition and by a linear blend; PSNR-Y of the inserted frames against the held-out ones. Target: the
//     classic engine above both.
// Run: npm run bench -- quality   (or npx tsx bench/quality.bench.ts; QUALITY_BENCH_QUICK=1 for two photographs)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultClipSettings } from '../main/common/settings';
import { buildClassicFilterGraph } from '../main/engine/classic/filter-graph';
import { builtinEsrganPackDir, releasePerFrameModels, upscaleFrameWithPerFramePack } from '../main/engine/perframe/api';
import { parseFidelityStats } from '../main/quality/measure';
import { psnrOfMse } from '../main/quality/quality-sums';
import { FFMPEG, makeTempDir } from '../tests/helpers/media-fixtures';

const ROOT = path.resolve(__dirname, '..');
const MEDIA_DIR = path.join(ROOT, '.cache', 'quality-media');
const PACKAGE = 'python3-skimage';
const DATA_IN_PACKAGE = 'usr/lib/python3/dist-packages/skimage/data';
/** Colour photographs (natural scenes, no drawings or test charts). */
const PHOTOS = ['astronaut.png', 'chelsea.png', 'coffee.png', 'motorcycle_left.png', 'rocket.jpg'];
/** Crop of each photograph measured (divisible by 8, so every scale divides it). */
const CROP = { width: 384, height: 256 };
const CLIP = { width: 320, height: 240, fps: 24, framesPerShot: 12 };
const SCALES = [2, 4];
const THREADS = Number(process.env.QUALITY_BENCH_THREADS ?? 0);
const QUICK = process.env.QUALITY_BENCH_QUICK === '1';

type Fidelity = { psnr: number; ssim: number; frames: number };

function ffmpeg(args: string[]): Buffer {
  return execFileSync(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], { maxBuffer: 256 * 1024 * 1024 });
}

/** The photographs, from the cache or fetched once with apt-get download + dpkg-deb -x. */
function photographs(): string[] {
  const dir = path.join(MEDIA_DIR, DATA_IN_PACKAGE);
  const have = () => PHOTOS.every((p) => existsSync(path.join(dir, p)));
  if (!have()) {
    mkdirSync(MEDIA_DIR, { recursive: true });
    console.log(`Fetching the photographs: apt-get download ${PACKAGE} (about 21 MB, once) into ${MEDIA_DIR}`);
    const download = spawnSync('apt-get', ['download', PACKAGE], { cwd: MEDIA_DIR, encoding: 'utf8' });
    const deb = readdirSync(MEDIA_DIR).find((n) => n.startsWith(`${PACKAGE}_`) && n.endsWith('.deb'));
    if (!deb) {
      throw new Error(
        `Could not download ${PACKAGE} with apt-get (${(download.stderr || download.error?.message || 'no message').trim()}). ` +
          `This benchmark needs Debian's package archive (run 'sudo apt-get update' if the package is unknown), or put ` +
          `${PHOTOS.join(', ')} into ${dir} by hand.`,
      );
    }
    execFileSync('dpkg-deb', ['-x', path.join(MEDIA_DIR, deb), MEDIA_DIR]);
    if (!have()) throw new Error(`${deb} does not hold ${PHOTOS.join(', ')} under ${DATA_IN_PACKAGE}: the package changed; pick other photographs.`);
  }
  return (QUICK ? PHOTOS.slice(0, 2) : PHOTOS).map((p) => path.join(dir, p));
}

/** PSNR-Y and SSIM-Y of `test` against `reference` (both read with `inputArgs`-style arguments), on Y of 4:4:4. */
function fidelity(test: string[], reference: string[], select = ''): Fidelity {
  const pick = select ? `${select},` : '';
  const graph =
    `[0:v]${pick}format=yuv444p,settb=1/25,setpts=N,split[a1][a2];[1:v]${pick}format=yuv444p,settb=1/25,setpts=N,split[b1][b2];` +
    '[a1][b1]psnr=stats_file=-[p];[a2][b2]ssim=stats_file=-[q]';
  const out = ffmpeg([...test, ...reference, '-filter_complex', graph, '-map', '[p]', '-f', 'null', '-', '-map', '[q]', '-f', 'null', '-']);
  const sums = parseFidelityStats(out.toString('utf8'));
  return { psnr: psnrOfMse(sums.mseY / sums.compared) ?? Infinity, ssim: sums.ssimY / sums.compared, frames: sums.compared };
}

const png = (file: string) => ['-i', file];

function classicChain(scale: number, source: { width: number; height: number; fps: number }, targetFps: number | null = null): string {
  const settings = { ...defaultClipSettings(), scale, targetFps };
  const plan = buildClassicFilterGraph(settings, { width: source.width, height: source.height, fps: { num: source.fps, den: 1 } });
  return plan.graph ?? 'null';
}

/** Decodes an image to rgb24, for the in-process model. */
function readRgb(file: string, width: number, height: number): { width: number; height: number; data: Uint8Array } {
  const data = ffmpeg(['-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

function writeRgb(frame: { width: number; height: number; data: Uint8Array }, file: string): void {
  execFileSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${frame.width}x${frame.height}`, '-i', '-', file], {
    input: Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.length),
  });
}

type Row = { set: string; scale: number; method: string; psnr: number; ssim: number; frames: number; msPerFrame: number | null };

async function imageRows(work: string, photos: string[]): Promise<Row[]> {
  const rows: Row[] = [];
  const totals = new Map<string, { psnr: number; ssim: number; n: number; ms: number }>();
  for (const photo of photos) {
    const name = path.basename(photo).replace(/\.\w+$/, '');
    const original = path.join(work, `${name}.png`);
    // Centre crop, in RGB: the reference every method is measured against.
    ffmpeg(['-i', photo, '-vf', `crop=${CROP.width}:${CROP.height},format=rgb24`, '-frames:v', '1', original]);
    for (const s of SCALES) {
      const low = path.join(work, `${name}-x${s}-low.png`);
      const lw = CROP.width / s;
      const lh = CROP.height / s;
      // swscale widens its bicubic kernel by the ratio when it shrinks: an antialiased bicubic downscale.
      ffmpeg(['-i', original, '-vf', `scale=${lw}:${lh}:flags=bicubic+accurate_rnd+full_chroma_int,format=rgb24`, low]);
      const methods: Array<[string, () => Promise<string>]> = [
        ['bicubic', async () => scaleImage(low, `scale=${CROP.width}:${CROP.height}:flags=bicubic+accurate_rnd+full_chroma_int`, `${name}-x${s}-bicubic.png`)],
        ['lanczos', async () => scaleImage(low, `scale=${CROP.width}:${CROP.height}:flags=lanczos+accurate_rnd+full_chroma_int`, `${name}-x${s}-lanczos.png`)],
        ['classic engine', async () => scaleImage(low, classicChain(s, { width: lw, height: lh, fps: 24 }), `${name}-x${s}-classic.png`)],
        [
          'ESRGAN (thick)',
          async () => {
            const out = path.join(work, `${name}-x${s}-esrgan.png`);
            writeRgb(await upscaleFrameWithPerFramePack({ frame: readRgb(low, lw, lh), scale: s, threads: THREADS }), out);
            return out;
          },
        ],
      ];
      for (const [method, make] of methods) {
        const started = performance.now();
        const out = await make();
        const ms = performance.now() - started;
        const f = fidelity(png(out), png(original));
        const key = `${s}|${method}`;
        const t = totals.get(key) ?? { psnr: 0, ssim: 0, n: 0, ms: 0 };
        totals.set(key, { psnr: t.psnr + f.psnr, ssim: t.ssim + f.ssim, n: t.n + 1, ms: t.ms + ms });
      }
    }
  }
  for (const [key, t] of totals) {
    const [s, method] = key.split('|');
    rows.push({ set: `${photos.length} photos`, scale: Number(s), method, psnr: t.psnr / t.n, ssim: t.ssim / t.n, frames: t.n, msPerFrame: method.startsWith('ESRGAN') ? t.ms / t.n : null });
  }
  return rows;

  function scaleImage(input: string, chain: string, name: string): string {
    const out = path.join(work, name);
    ffmpeg(['-i', input, '-vf', `${chain},format=rgb24`, out]);
    return out;
  }
}

/** A clip made from the photographs: a horizontal pan, a slow zoom, a diagonal pan (lossless, 4:4:4). */
function makeClip(work: string, photos: string[]): string {
  const { width, height, fps, framesPerShot: n } = CLIP;
  const shots = [
    `crop=${width}:${height}:x='20+4*n':y=(ih-${height})/2`,
    // zoompan moves by whole pixels: zooming a 4x larger picture keeps the motion smooth at the output size.
    `scale=iw*4:ih*4:flags=bicubic,zoompan=z='1.3+0.01*on':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=1:s=${width}x${height}:fps=${fps}`,
    `crop=${width}:${height}:x='10+3*n':y='10+2*n'`,
  ];
  const parts = shots.map((chain, i) => {
    const file = path.join(work, `shot-${i}.mkv`);
    const photo = photos[i % photos.length];
    ffmpeg(['-loop', '1', '-framerate', String(fps), '-i', photo, '-vf', `${chain},setsar=1,format=yuv444p`, '-frames:v', String(n), '-c:v', 'ffv1', file]);
    return file;
  });
  const clip = path.join(work, 'clip.mkv');
  const inputs = parts.flatMap((p) => ['-i', p]);
  ffmpeg([...inputs, '-filter_complex', `${parts.map((_, i) => `[${i}:v]`).join('')}concat=n=${parts.length}:v=1[v]`, '-map', '[v]', '-c:v', 'ffv1', clip]);
  return clip;
}

/** Every UPSCALE_EVERY-th frame of the clip is measured for upscaling (the model costs seconds per frame here). */
const UPSCALE_EVERY = 4;

async function videoRows(work: string, clip: string): Promise<Row[]> {
  const rows: Row[] = [];
  const { width, height, fps } = CLIP;
  const reference = path.join(work, 'clip-sub.mkv');
  ffmpeg(['-i', clip, '-vf', `select='not(mod(n\\,${UPSCALE_EVERY}))',setpts=N/(${fps}*TB)`, '-r', String(fps), '-c:v', 'ffv1', reference]);
  const frames = Math.ceil((CLIP.framesPerShot * 3) / UPSCALE_EVERY);
  for (const s of SCALES) {
    const lw = width / s;
    const lh = height / s;
    const low = path.join(work, `clip-x${s}-low.mkv`);
    ffmpeg(['-i', reference, '-vf', `scale=${lw}:${lh}:flags=bicubic+accurate_rnd+full_chroma_int,format=rgb24`, '-c:v', 'ffv1', low]);
    const viaFfmpeg = (name: string, chain: string) => {
      const out = path.join(work, `clip-x${s}-${name}.mkv`);
      ffmpeg(['-i', low, '-vf', `${chain},format=rgb24`, '-c:v', 'ffv1', out]);
      return ['-i', out];
    };
    const measured: Array<[string, string[], number | null]> = [
      ['bicubic', viaFfmpeg('bicubic', `scale=${width}:${height}:flags=bicubic+accurate_rnd+full_chroma_int`), null],
      ['lanczos', viaFfmpeg('lanczos', `scale=${width}:${height}:flags=lanczos+accurate_rnd+full_chroma_int`), null],
      ['classic engine', viaFfmpeg('classic', classicChain(s, { width: lw, height: lh, fps })), null],
    ];
    // Each frame through the pack's model, as the engine runs it per frame.
    const raw = ffmpeg(['-i', low, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    const frameBytes = lw * lh * 3;
    const outDir = path.join(work, `clip-x${s}-esrgan`);
    mkdirSync(outDir, { recursive: true });
    const started = performance.now();
    for (let i = 0; i * frameBytes < raw.length; i++) {
      const data = new Uint8Array(raw.buffer, raw.byteOffset + i * frameBytes, frameBytes);
      const up = await upscaleFrameWithPerFramePack({ frame: { width: lw, height: lh, data }, scale: s, threads: THREADS });
      writeRgb(up, path.join(outDir, `frame-${String(i + 1).padStart(6, '0')}.png`));
    }
    measured.push(['ESRGAN (thick)', ['-framerate', String(fps), '-start_number', '1', '-i', path.join(outDir, 'frame-%06d.png')], (performance.now() - started) / frames]);
    for (const [method, input, ms] of measured) {
      const f = fidelity(input, ['-i', reference]);
      rows.push({ set: `clip, ${f.frames} frames`, scale: s, method, psnr: f.psnr, ssim: f.ssim, frames: f.frames, msPerFrame: ms });
    }
  }
  return rows;
}

type InterpRow = { method: string; psnr: number; ssim: number; frames: number };

/** Every other frame dropped and put back (k = 1); PSNR-Y of the put-back frames against the held-out ones. */
function interpolationRows(work: string, clip: string): InterpRow[] {
  const { fps } = CLIP;
  const half = path.join(work, 'clip-half.mkv');
  ffmpeg(['-i', clip, '-vf', `select='not(mod(n\\,2))',setpts=N/(${fps / 2}*TB)`, '-r', String(fps / 2), '-c:v', 'ffv1', half]);
  const total = CLIP.framesPerShot * 3;
  const methods: Array<[string, string]> = [
    ['classic engine', `${classicChain(1, { width: CLIP.width, height: CLIP.height, fps: fps / 2 }, fps)}`],
    ['frame repetition', `fps=${fps}:round=down`],
    ['linear blend', `minterpolate=fps=${fps}:mi_mode=blend`],
  ];
  // Inserted frames are the odd ones; the last has no next frame to interpolate towards and is left out, and so
  // are the two frames that straddle each cut between shots (no method can know the next shot).
  const cuts = [CLIP.framesPerShot - 1, 2 * CLIP.framesPerShot - 1];
  const odd = `select='mod(n\\,2)*lt(n\\,${total - 1})${cuts.map((c) => `*not(eq(n\\,${c}))`).join('')}'`;
  return methods.map(([method, chain]) => {
    const out = path.join(work, `clip-interp-${method.replace(/\W+/g, '-')}.mkv`);
    ffmpeg(['-i', half, '-vf', `setpts=PTS-STARTPTS,${chain},format=yuv444p`, '-frames:v', String(total), '-c:v', 'ffv1', out]);
    const f = fidelity(['-i', out], ['-i', clip], odd);
    return { method, psnr: f.psnr, ssim: f.ssim, frames: f.frames };
  });
}

const fmt = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : 'inf');

async function main(): Promise<void> {
  const photos = photographs();
  const tmp = makeTempDir('upframe-bench-quality-');
  try {
    console.log(`ESRGAN pack: ${await builtinEsrganPackDir()}`);
    const started = performance.now();
    const rows = [...(await imageRows(tmp.dir, photos))];
    const clip = makeClip(tmp.dir, photos);
    rows.push(...(await videoRows(tmp.dir, clip)));
    const interp = interpolationRows(tmp.dir, clip);

    console.log('\nUpscaling: downscaled by s (antialiased bicubic), enhanced back; PSNR-Y / SSIM-Y against the original');
    console.log('set               scale  method            PSNR-Y dB  vs bicubic  SSIM-Y   ms/frame');
    const checks: string[] = [];
    for (const set of [...new Set(rows.map((r) => r.set))]) {
      for (const s of SCALES) {
        const group = rows.filter((r) => r.set === set && r.scale === s);
        const bicubic = group.find((r) => r.method === 'bicubic')!;
        for (const r of group) {
          const gain = r.psnr - bicubic.psnr;
          console.log(
            `${set.padEnd(18)}x${s}     ${r.method.padEnd(17)} ${fmt(r.psnr, 2).padStart(9)}  ${(gain >= 0 ? '+' : '') + fmt(gain, 2)}`.padEnd(70) +
              `${fmt(r.ssim, 4)}   ${r.msPerFrame === null ? '' : r.msPerFrame.toFixed(0)}`,
          );
          if (r.method.startsWith('ESRGAN')) {
            const target = s === 4 ? 0.8 : 0.3;
            checks.push(`${gain >= target ? 'MET ' : 'MISS'} ${set} x${s}: ESRGAN ${(gain >= 0 ? '+' : '') + fmt(gain, 2)} dB over bicubic (target +${target})`);
          }
          if (r.method === 'classic engine') {
            checks.push(`${gain >= 0 ? 'MET ' : 'MISS'} ${set} x${s}: classic engine ${(gain >= 0 ? '+' : '') + fmt(gain, 2)} dB over bicubic (target >= 0)`);
          }
        }
      }
    }
    console.log('\nInterpolation: every other frame dropped, put back with k = 1; PSNR-Y / SSIM-Y of the inserted frames');
    console.log('method             PSNR-Y dB  SSIM-Y   frames');
    for (const r of interp) console.log(`${r.method.padEnd(18)} ${fmt(r.psnr, 2).padStart(9)}  ${fmt(r.ssim, 4)}   ${r.frames}`);
    const classic = interp.find((r) => r.method === 'classic engine')!;
    const best = Math.max(...interp.filter((r) => r !== classic).map((r) => r.psnr));
    checks.push(`${classic.psnr > best ? 'MET ' : 'MISS'} interpolation: classic engine ${fmt(classic.psnr, 2)} dB against ${fmt(best, 2)} dB for the better of repetition and blend`);
    console.log(`\nTargets:\n${checks.join('\n')}`);
    console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s; ESRGAN on the CPU with ${THREADS || 'one thread per core'} threads)`);

    const result = Object.fromEntries([
      ...rows.map((r) => [`${r.set} x${r.scale} ${r.method} PSNR-Y`, Number(r.psnr.toFixed(3))]),
      ...interp.map((r) => [`interpolation ${r.method} PSNR-Y`, Number(r.psnr.toFixed(3))]),
    ]);
    console.log(`BENCH_RESULT ${JSON.stringify({ bench: 'quality', ...result, misses: checks.filter((c) => c.startsWith('MISS')).length })}`);
  } finally {
    await releasePerFrameModels();
    tmp.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
