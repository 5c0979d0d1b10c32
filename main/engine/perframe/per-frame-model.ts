// One per-frame ONNX model, opened on a provider and checked before any work: a graph that maps frames
// [N, 3, H, W] to [N, 3, sH, sW] with a whole-number s found by a probe run. Frames larger than a tile run tile by
// tile with overlapping tiles blended by linear ramps; the tile halves on out-of-memory, as the diffusion engine's
// do (plan/oom.ts). fp16 graphs are fed and read through float16 conversion at the boundary.
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { PackError } from '../pack/errors';
import { float16ToFloat32, float32ToFloat16 } from '../pack/float16';
import type { PerFrameManifest } from '../pack/per-frame-manifest';
import { fallbackNote, providerDisplayName, providerPlatformProblem, providerUnavailableError, sessionOptionsFor } from '../pack/providers';
import { isOutOfMemoryError } from '../plan/oom';
import { planSpans } from '../plan/tiles';
import type { ExecutionOptions, RgbFrame } from '../types';

ort.env.logLevel = (process.env.UPFRAME_ORT_LOG_LEVEL as typeof ort.env.logLevel) ?? 'fatal';

export type PerFrameInputSpec = PerFrameManifest['input'];
export type PerFrameTileSpec = PerFrameManifest['tile'];

/** What a bare .onnx file gets: RGB in [0, 1], NCHW, 256-pixel tiles. */
export const DEFAULT_INPUT_SPEC: PerFrameInputSpec = { layout: 'NCHW', range: [0, 1], channels: 'RGB' };
export const DEFAULT_TILE_SPEC: PerFrameTileSpec = { size: 256, overlap: 16, multipleOf: 1 };
/** Tiles never shrink below this (source pixels). */
const MIN_TILE = 32;
/** Side of the probe frame that finds the scale. */
const PROBE_SIDE = 24;

export type OpenPerFrameOptions = {
  input?: PerFrameInputSpec;
  tile?: PerFrameTileSpec;
  /** The scale the manifest states; the probe must agree. */
  expectedScale?: number | null;
  /** Name used in messages, e.g. "Pack esrgan-thick@1.0.0: x4.onnx". */
  label?: string;
  log?: (message: string) => void;
};

type ElemType = 'float32' | 'float16';

export class PerFrameModel {
  /** Tile side in source pixels currently used (shrinks after an out-of-memory error). */
  tileSize: number;
  readonly stats = { runs: 0, tileShrinks: 0 };

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly scale: number,
    private readonly elemType: ElemType,
    private readonly inputName: string,
    private readonly outputName: string,
    readonly input: PerFrameInputSpec,
    readonly tile: PerFrameTileSpec,
    /** Fixed input size the graph declares (then every tile has exactly this size), or null. */
    private readonly fixedSize: { h: number; w: number } | null,
    readonly providerInUse: string,
    private readonly label: string,
  ) {
    this.tileSize = fixedSize ? Math.max(fixedSize.h, fixedSize.w) : tile.size;
  }

  /** Opens and checks the model: refuses (PackError, naming what is wrong) anything that is not a whole-number
   *  image-to-image graph this provider can run. */
  static async open(model: string | Uint8Array, execution: ExecutionOptions, opts: OpenPerFrameOptions = {}): Promise<PerFrameModel> {
    const label = opts.label ?? (typeof model === 'string' ? model : 'the model');
    const input = opts.input ?? DEFAULT_INPUT_SPEC;
    const tile = opts.tile ?? DEFAULT_TILE_SPEC;
    const { session, providerInUse } = await createSession(model, execution, label, opts.log);
    try {
      const { elemType, fixedSize } = checkImageToImage(session, input, label);
      const probed = await probeScale(session, elemType, input, fixedSize, tile.multipleOf, label);
      if (opts.expectedScale != null && opts.expectedScale !== probed) {
        throw new PackError('CONTRACT_MISMATCH', `${label}: the manifest says scale ${opts.expectedScale}, but the graph upscales by ${probed}. Fix the manifest's models.scale.`);
      }
      return new PerFrameModel(session, probed, elemType, session.inputNames[0], session.outputNames[0], input, tile, fixedSize, providerInUse, label);
    } catch (error) {
      await session.release().catch(() => undefined);
      throw error;
    }
  }

  /** The frame upscaled by the model's scale, as rgb24. */
  async upscale(frame: RgbFrame, checkpoint?: () => Promise<void>): Promise<RgbFrame> {
    for (;;) {
      try {
        return await this.upscaleWithTile(frame, this.tileSize, checkpoint);
      } catch (error) {
        if (!isOutOfMemoryError(error) || this.fixedSize) throw error;
        if (this.tileSize <= MIN_TILE) {
          throw new Error(
            `${this.label}: out of memory even with ${this.tileSize}-pixel tiles on ${this.providerInUse}. ` +
              'Lower the scale, use the CPU provider (system memory), or close other applications.',
            { cause: error },
          );
        }
        this.tileSize = Math.max(MIN_TILE, Math.ceil(this.tileSize / 2));
        this.stats.tileShrinks++;
      }
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private async upscaleWithTile(frame: RgbFrame, tile: number, checkpoint?: () => Promise<void>): Promise<RgbFrame> {
    const { width: W, height: H } = frame;
    const s = this.scale;
    const OW = W * s;
    const OH = H * s;
    const tileH = this.fixedSize?.h ?? tile;
    const tileW = this.fixedSize?.w ?? tile;
    const overlap = Math.min(this.tile.overlap, Math.floor(Math.min(tileH, tileW) / 4));
    const ys = this.fixedSize || H > tileH ? planSpans(Math.max(H, tileH), tileH, overlap) : [{ start: 0, end: H }];
    const xs = this.fixedSize || W > tileW ? planSpans(Math.max(W, tileW), tileW, overlap) : [{ start: 0, end: W }];
    const single = ys.length === 1 && xs.length === 1 && !this.fixedSize;
    const sum = single ? null : new Float32Array(3 * OH * OW);
    const weight = single ? null : new Float32Array(OH * OW);
    let whole: Float32Array | null = null;
    for (const y of ys) {
      for (const x of xs) {
        if (checkpoint) await checkpoint();
        const th = y.end - y.start;
        const tw = x.end - x.start;
        const out = await this.runTile(frame, y.start, x.start, th, tw);
        if (single) {
          whole = out;
          continue;
        }
        // Linear ramps over the overlap on the sides that have a neighbour; 1 inside and at the frame's edges.
        const ramp = overlap * s;
        const wy = rampWeights(th * s, y.start > 0 ? ramp : 0, y.end < Math.max(H, tileH) ? ramp : 0);
        const wx = rampWeights(tw * s, x.start > 0 ? ramp : 0, x.end < Math.max(W, tileW) ? ramp : 0);
        const planeT = th * s * tw * s;
        for (let yy = 0; yy < th * s; yy++) {
          const oy = y.start * s + yy;
          if (oy >= OH) break;
          for (let xx = 0; xx < tw * s; xx++) {
            const ox = x.start * s + xx;
            if (ox >= OW) break;
            const w = wy[yy] * wx[xx];
            const o = oy * OW + ox;
            const t = yy * tw * s + xx;
            weight![o] += w;
            sum![o] += w * out[t];
            sum![OH * OW + o] += w * out[planeT + t];
            sum![2 * OH * OW + o] += w * out[2 * planeT + t];
          }
        }
      }
    }
    const data = new Uint8Array(OH * OW * 3);
    const [lo, hi] = this.input.range;
    const k = 255 / (hi - lo);
    const bgr = this.input.channels === 'BGR';
    const plane = OH * OW;
    for (let i = 0; i < plane; i++) {
      const w = weight ? weight[i] : 1;
      const src = whole ?? sum!;
      for (let c = 0; c < 3; c++) {
        const v = ((src[(bgr ? 2 - c : c) * plane + i] / w - lo) * k);
        data[i * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
    return { width: OW, height: OH, data };
  }

  /** Runs one tile; returns its output as planar float32 RGB/BGR [3, th s, tw s] in the model's range. */
  private async runTile(frame: RgbFrame, y0: number, x0: number, th: number, tw: number): Promise<Float32Array> {
    const m = this.tile.multipleOf;
    const ph = Math.ceil(th / m) * m;
    const pw = Math.ceil(tw / m) * m;
    const [lo, hi] = this.input.range;
    const k = (hi - lo) / 255;
    const bgr = this.input.channels === 'BGR';
    const nhwc = this.input.layout === 'NHWC';
    const values = new Float32Array(3 * ph * pw);
    const W = frame.width;
    const H = frame.height;
    for (let y = 0; y < ph; y++) {
      // Edge replication for padding and for tiles that reach past a frame smaller than a fixed input size.
      const sy = Math.min(H - 1, y0 + Math.min(y, th - 1));
      for (let x = 0; x < pw; x++) {
        const sx = Math.min(W - 1, x0 + Math.min(x, tw - 1));
        const p = (sy * W + sx) * 3;
        for (let c = 0; c < 3; c++) {
          const v = lo + frame.data[p + (bgr ? 2 - c : c)] * k;
          values[nhwc ? (y * pw + x) * 3 + c : c * ph * pw + y * pw + x] = v;
        }
      }
    }
    const dims = nhwc ? [1, ph, pw, 3] : [1, 3, ph, pw];
    const feed = this.elemType === 'float16' ? new ort.Tensor('float16', float32ToFloat16(values), dims) : new ort.Tensor('float32', values, dims);
    const results = await this.session.run({ [this.inputName]: feed });
    this.stats.runs++;
    const output = results[this.outputName];
    const s = this.scale;
    const outH = ph * s;
    const outW = pw * s;
    const raw = output.data;
    const data = raw instanceof Float32Array ? raw : raw instanceof Uint16Array ? float16ToFloat32(raw) : Float32Array.from(raw as ArrayLike<number>);
    for (const r of Object.values(results)) r.dispose?.();
    // Crop the padding and return planar [3, th s, tw s].
    const cropH = th * s;
    const cropW = tw * s;
    const out = new Float32Array(3 * cropH * cropW);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < cropH; y++) {
        for (let x = 0; x < cropW; x++) {
          out[c * cropH * cropW + y * cropW + x] = nhwc ? data[(y * outW + x) * 3 + c] : data[c * outH * outW + y * outW + x];
        }
      }
    }
    return out;
  }
}

/** Blend weights along one side of a tile, in output pixels. On a side with a neighbour (overlap > 0) the outer
 *  quarter of the overlap gets no weight (the model saw the tile's edge there, not the picture), then the weight
 *  rises linearly over the middle half; two neighbours overlapping by exactly `overlap` ramp over the same pixels,
 *  so their weights sum to one. Frame edges keep full weight. */
function rampWeights(length: number, overlapStart: number, overlapEnd: number): Float32Array {
  const w = new Float32Array(length);
  const side = (i: number, overlap: number) => {
    if (overlap <= 0) return 1;
    const margin = overlap / 4;
    const ramp = overlap / 2;
    return Math.min(1, Math.max(0, (i + 0.5 - margin) / ramp));
  };
  for (let i = 0; i < length; i++) w[i] = Math.max(1e-6, Math.min(side(i, overlapStart), side(length - 1 - i, overlapEnd)));
  return w;
}

/** Session options tuned for a feed-forward convolutional model: all graph optimisations, one thread per core
 *  unless the user chose a count, sequential execution (one chain of convolutions has nothing to run in parallel). */
export function perFrameSessionOptions(provider: ExecutionOptions['provider'], execution: ExecutionOptions): ort.InferenceSession.SessionOptions {
  const options = sessionOptionsFor(provider, execution);
  options.executionMode = 'sequential';
  options.interOpNumThreads = 1;
  options.intraOpNumThreads = execution.threads > 0 ? execution.threads : Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  options.enableCpuMemArena = true;
  options.enableMemPattern = true;
  return options;
}

async function createSession(
  model: string | Uint8Array,
  execution: ExecutionOptions,
  label: string,
  log?: (m: string) => void,
): Promise<{ session: ort.InferenceSession; providerInUse: string }> {
  const create = (provider: ExecutionOptions['provider']) =>
    typeof model === 'string'
      ? ort.InferenceSession.create(model, perFrameSessionOptions(provider, execution))
      : ort.InferenceSession.create(model, perFrameSessionOptions(provider, execution));
  const requested = execution.provider;
  if (requested !== 'cpu') {
    let reason = providerPlatformProblem(requested);
    if (!reason) {
      try {
        return { session: await create(requested), providerInUse: requested };
      } catch (error) {
        // The same file on CPU tells a bad model from a provider that cannot start.
        const onCpu = await create('cpu').catch((cpuError: unknown) => {
          throw explainLoadError(cpuError, label);
        });
        await onCpu.release();
        const operator = missingOperator(error);
        if (operator) throw new PackError('OPERATOR_UNSUPPORTED', `${label} needs the operator ${operator}, which ${providerDisplayName(requested)} does not have. Pick the CPU provider in the engine settings, or re-export the model without it.`);
        reason = (error as Error).message.split('\n')[0];
      }
    }
    if (!execution.allowCpuFallback) throw providerUnavailableError(requested, reason);
    log?.(`${providerDisplayName(requested)} unavailable (${reason}); running ${label} on CPU`);
    try {
      return { session: await create('cpu'), providerInUse: fallbackNote(requested, reason) };
    } catch (error) {
      throw explainLoadError(error, label);
    }
  }
  try {
    return { session: await create('cpu'), providerInUse: 'cpu' };
  } catch (error) {
    throw explainLoadError(error, label);
  }
}

/** The operator named in onnxruntime's message when a node has no kernel on the provider, or null. */
function missingOperator(error: unknown): string | null {
  const message = error instanceof Error ? error.message : String(error);
  const patterns = [
    /Could not find an implementation for (\S+?)\(\d+\) node/,
    /(\S+?)\(-?\d+\) is not a registered function\/op/,
    /Could not find an implementation for (\S+)/,
    /No opset import for domain '([^']*)'/,
    /Unrecognized (?:op|operator)[^']*'([^']+)'/,
  ];
  for (const p of patterns) {
    const m = p.exec(message);
    if (m) return m[1];
  }
  return null;
}

function explainLoadError(error: unknown, label: string): PackError {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  const operator = missingOperator(error);
  if (operator) {
    return new PackError('OPERATOR_UNSUPPORTED', `${label} needs the operator ${operator}, which the CPU provider of onnxruntime ${ort.env.versions.common} does not have. Re-export the model with standard ONNX operators.`);
  }
  return new PackError('NOT_ONNX', `${label} is not a readable ONNX model: the file is corrupt, truncated or not ONNX (${message}). Export or download it again.`);
}

const INTEGER_TYPES = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool']);

function checkImageToImage(
  session: ort.InferenceSession,
  input: PerFrameInputSpec,
  label: string,
): { elemType: ElemType; fixedSize: { h: number; w: number } | null } {
  const refuse = (what: string): never => {
    throw new PackError('CONTRACT_MISMATCH', `${label} is not an image-to-image model: ${what} A per-frame model maps frames [N, 3, H, W] to [N, 3, sH, sW].`);
  };
  if (session.inputNames.length !== 1) refuse(`it has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); it must take one frame tensor.`);
  if (session.outputNames.length < 1) refuse('it has no output.');
  const inMeta = session.inputMetadata[0];
  const outMeta = session.outputMetadata[0];
  if (!inMeta.isTensor) refuse(`its input ${inMeta.name} is not a tensor.`);
  if (!outMeta.isTensor) refuse(`its output ${outMeta.name} is not a tensor.`);
  const inType = (inMeta as { type: string }).type;
  const outType = (outMeta as { type: string }).type;
  if (INTEGER_TYPES.has(inType)) refuse(`its input ${inMeta.name} holds integers (${inType}), not float pixel values.`);
  if (inType !== 'float32' && inType !== 'float16') refuse(`its input ${inMeta.name} is ${inType}; it must be float32 or float16.`);
  if (outType !== 'float32' && outType !== 'float16') refuse(`its output ${outMeta.name} is ${outType}; it must be float32 or float16.`);
  const channelAxis = input.layout === 'NHWC' ? 3 : 1;
  const check = (kind: string, name: string, shape: readonly (number | string)[]) => {
    if (shape.length === 0) return;
    if (shape.length !== 4) refuse(`its ${kind} ${name} has rank ${shape.length} ([${shape.join(', ')}]); it must have rank 4.`);
    const channels = shape[channelAxis];
    if (typeof channels === 'number' && channels !== 3) {
      refuse(`its ${kind} ${name} has ${channels} channels on axis ${channelAxis} (${input.layout}); it must have 3.`);
    }
  };
  const inShape = (inMeta as { shape: readonly (number | string)[] }).shape;
  check('input', inMeta.name, inShape);
  check('output', outMeta.name, (outMeta as { shape: readonly (number | string)[] }).shape);
  const [hAxis, wAxis] = input.layout === 'NHWC' ? [1, 2] : [2, 3];
  const h = inShape[hAxis];
  const w = inShape[wAxis];
  const fixedSize = typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? { h, w } : null;
  return { elemType: inType as ElemType, fixedSize };
}

async function probeScale(
  session: ort.InferenceSession,
  elemType: ElemType,
  input: PerFrameInputSpec,
  fixedSize: { h: number; w: number } | null,
  multipleOf: number,
  label: string,
): Promise<number> {
  const side = Math.ceil(PROBE_SIDE / multipleOf) * multipleOf;
  const h = fixedSize?.h ?? side;
  const w = fixedSize?.w ?? side + multipleOf;
  const nhwc = input.layout === 'NHWC';
  const dims = nhwc ? [1, h, w, 3] : [1, 3, h, w];
  const values = new Float32Array(3 * h * w).fill((input.range[0] + input.range[1]) / 2);
  const feed = elemType === 'float16' ? new ort.Tensor('float16', float32ToFloat16(values), dims) : new ort.Tensor('float32', values, dims);
  let result: ort.InferenceSession.OnnxValueMapType;
  try {
    result = await session.run({ [session.inputNames[0]]: feed });
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new PackError('CONTRACT_MISMATCH', `${label} failed on a ${w}x${h} test frame (${message}): it does not take frames [1, 3, H, W].`);
  }
  const out = result[session.outputNames[0]];
  const outDims = out.dims;
  for (const r of Object.values(result)) r.dispose?.();
  if (outDims.length !== 4) {
    throw new PackError('CONTRACT_MISMATCH', `${label} is not an image-to-image model: its output on a test frame has rank ${outDims.length} ([${outDims.join(', ')}]), not 4.`);
  }
  const [oc, oh, ow] = nhwc ? [outDims[3], outDims[1], outDims[2]] : [outDims[1], outDims[2], outDims[3]];
  if (oc !== 3) throw new PackError('CONTRACT_MISMATCH', `${label} is not an image-to-image model: its output has ${oc} channels, not 3.`);
  const sy = oh / h;
  const sx = ow / w;
  if (!Number.isInteger(sy) || !Number.isInteger(sx) || sy < 1 || sx < 1) {
    throw new PackError(
      'CONTRACT_MISMATCH',
      `${label} scales a ${w}x${h} frame to ${ow}x${oh} (x${fmt(sx)} by x${fmt(sy)}), which is not a whole-number scale: per-frame models must upscale by 1, 2, 3, ...`,
    );
  }
  if (sy !== sx) {
    throw new PackError('CONTRACT_MISMATCH', `${label} scales height by ${sy} and width by ${sx}: both must be the same whole number.`);
  }
  if (sy > 16) throw new PackError('CONTRACT_MISMATCH', `${label} scales by ${sy}; at most 16 is supported.`);
  return sy;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3);
}
