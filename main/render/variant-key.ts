// Cache keys. A chunk's key covers everything that decides its pixels and nothing else: the media's content
// (fingerprint), where the chunk lies on the grid (chunk and context length, index) and the settings hash (engine
// version, pixel settings, pack hash). So a prompt typed on a classic clip, a trim, or another clip's change
// invalidates nothing; a new scale invalidates that clip's chunks only. The provider is never part of a key.
import { createHash } from 'node:crypto';
import type { ClipSettings } from '../common/settings';

/** Bump when an engine's output for the same settings changes (filters, encoder settings, sampler fixes): every
 *  chunk computed by the older code then stops matching. */
export const CLASSIC_ENGINE_VERSION = 'classic-1';
export const DIFFUSION_ENGINE_VERSION = 'diffusion-1';
/** The per-frame model engine (main/engine/perframe/per-frame-job.ts MODEL_ENGINE_VERSION). */
export const MODEL_ENGINE_VERSION = 'model-1';

/** JSON with object keys sorted, so equal values always hash the same. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`Cannot hash the number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What the diffusion pack takes at all (manifest.supports): a control the pack ignores changes no pixel. */
export type PackControls = { noise: boolean; cfg: boolean; prompt: boolean };

/** The settings that change pixels for the clip's engine. k rather than the target rate: two rates that give
 *  the same k give the same frames. Controls the pack ignores are left out, as the pipeline ignores them. The
 *  model engines take `deinterlaced` (whether their frame reader deinterlaces this source) only when true, so
 *  progressive sources keep the keys they had before deinterlacing reached these engines. */
export function pixelSettings(settings: ClipSettings, insertedFrames: number, controls?: PackControls, deinterlaced = false): Record<string, unknown> {
  if (settings.engine === 'classic') {
    return { scale: settings.scale, k: insertedFrames, classic: settings.classic };
  }
  const source = deinterlaced ? { deinterlaced: true } : {};
  // The model engine: the pack (by its hash, beside these) and the scale and k decide every pixel.
  if (settings.engine === 'model') return { scale: settings.scale, k: insertedFrames, ...source };
  return {
    ...source,
    scale: settings.scale,
    k: insertedFrames,
    noise: controls?.noise === false ? 0 : settings.noise,
    sCond: settings.sCond,
    steps: settings.steps,
    cfg: controls?.cfg === false ? null : settings.cfg,
    prompt: controls?.prompt === false ? '' : settings.prompt,
    seed: settings.seed,
    chunkFrames: settings.chunkFrames,
    tileLatent: settings.tileLatent,
  };
}

export function settingsHash(
  settings: ClipSettings,
  insertedFrames: number,
  packHash: string | null,
  controls?: PackControls,
  deinterlaced = false,
): string {
  const engineVersion =
    settings.engine === 'classic' ? CLASSIC_ENGINE_VERSION : settings.engine === 'model' ? MODEL_ENGINE_VERSION : DIFFUSION_ENGINE_VERSION;
  return sha256(stableJson({ engineVersion, settings: pixelSettings(settings, insertedFrames, controls, deinterlaced), packHash }));
}

export function chunkKey(parts: { fingerprint: string; chunkFrames: number; contextFrames: number; index: number; settingsHash: string }): string {
  return sha256(
    stableJson({
      fingerprint: parts.fingerprint,
      chunkFrames: parts.chunkFrames,
      contextFrames: parts.contextFrames,
      index: parts.index,
      settingsHash: parts.settingsHash,
    }),
  );
}
