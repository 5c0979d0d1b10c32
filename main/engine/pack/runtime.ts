// A loaded pack: verified files, onnxruntime-node sessions opened lazily on the chosen provider and released when
// idle, and the engine-facing calls (text encoding, VAE, denoiser) with dtype conversion at the graph boundary.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DenoiserInputs, ExecutionOptions, PackRuntime, Tensor } from '../types';
import type { Dtype, GraphSpec, PackManifest, TensorSpec } from './manifest';
import { checkSessionContract, GRAPH_ROLES, packId, type GraphRole } from './contract';
import { PackError } from './errors';
import { float16ToFloat32, float32ToFloat16 } from './float16';
import type { HashCache } from './hash-cache';
import {
  fallbackNote,
  providerDisplayName,
  providerPlatformProblem,
  providerUnavailableError,
  sessionOptionsFor,
  type ExecutionProvider,
} from './providers';
import { loadPromptTokenizer, type PromptTokenizer } from './text';
import { verifyPack } from './verify';

// onnxruntime prints its own copy of every error to stderr (e.g. a page of "cannot open shared object file" when
// CUDA is missing); the same errors reach the user as PackErrors with what to do. UPFRAME_ORT_LOG_LEVEL=warning
// brings onnxruntime's log back for diagnosis.
ort.env.logLevel = (process.env.UPFRAME_ORT_LOG_LEVEL as typeof ort.env.logLevel) ?? 'fatal';

export type LoadPackOptions = { hashCache?: HashCache; idleReleaseMs?: number; log?: (m: string) => void };

/** Sessions unused this long are closed (and reopened on the next call). */
export const DEFAULT_IDLE_RELEASE_MS = 60_000;

export async function loadPack(dir: string, execution: ExecutionOptions, opts?: LoadPackOptions): Promise<PackRuntime> {
  const verified = await verifyPack(dir, { hashCache: opts?.hashCache });
  const runtime = new OnnxPackRuntime(dir, verified.manifest, verified.packHash, execution, opts ?? {});
  try {
    await runtime.checkAllGraphs();
  } catch (error) {
    await runtime.release();
    throw error;
  }
  return runtime;
}

type FeedValue = { dims: readonly number[]; data: Float32Array | BigInt64Array | number[] };

type SessionSlot = {
  session: ort.InferenceSession | null;
  opening: Promise<ort.InferenceSession> | null;
  busy: number;
  timer: NodeJS.Timeout | null;
};

export class OnnxPackRuntime implements PackRuntime {
  readonly dir: string;
  private provider: ExecutionProvider;
  private note: string | null = null;
  private readonly slots = new Map<GraphRole, SessionSlot>();
  private readonly idleReleaseMs: number;
  private readonly log: (m: string) => void;
  private tokenizer: Promise<PromptTokenizer> | null = null;
  private negative: Promise<Tensor> | null = null;
  private lastPrompt: { prompt: string; context: Promise<Tensor> } | null = null;
  /** Sessions created so far (observable: idle release and lazy reopening). */
  readonly stats = { sessionsOpened: 0, sessionsReleased: 0 };

  constructor(
    dir: string,
    readonly manifest: PackManifest,
    readonly packHash: string,
    private readonly execution: ExecutionOptions,
    opts: LoadPackOptions,
  ) {
    this.dir = path.resolve(dir);
    this.provider = execution.provider;
    this.idleReleaseMs = opts.idleReleaseMs ?? DEFAULT_IDLE_RELEASE_MS;
    this.log = opts.log ?? (() => {});
  }

  get providerInUse(): string {
    return this.note ?? this.provider;
  }

  /** Graph roles whose session is open right now. */
  openGraphs(): GraphRole[] {
    return [...this.slots].filter(([, slot]) => slot.session !== null).map(([role]) => role);
  }

  /** Opens every graph once and compares its inputs and outputs with the manifest, so that a bad pack fails
   *  before a job starts. The sessions then close when idle. */
  async checkAllGraphs(): Promise<void> {
    for (const role of GRAPH_ROLES) {
      const spec = this.graph(role);
      if (!spec) continue;
      await this.withSession(role, async (session) => checkSessionContract(this.manifest, role, spec, session));
    }
    if (this.manifest.text) await this.promptTokenizer();
  }

  async encodeText(prompt: string): Promise<Tensor> {
    if (!this.manifest.text) return this.zeroContext();
    if (this.lastPrompt?.prompt !== prompt) {
      const context = this.promptTokenizer().then((t) => this.runTextEncoder(t.encodePrompt(prompt)));
      this.lastPrompt = { prompt, context };
      context.catch(() => (this.lastPrompt = null));
    }
    return this.lastPrompt!.context;
  }

  async encodeNegative(): Promise<Tensor> {
    if (!this.manifest.text) return this.zeroContext();
    if (!this.negative) {
      this.negative = this.promptTokenizer().then((t) => this.runTextEncoder(t.encodeNegative()));
      this.negative.catch(() => (this.negative = null));
    }
    return this.negative;
  }

  async vaeEncode(images: Tensor): Promise<Tensor> {
    const spec = this.manifest.graphs.vae_encoder;
    return this.run('vae_encoder', { [spec.inputs[0].name]: images });
  }

  async vaeDecode(latents: Tensor, into?: Float32Array): Promise<Tensor> {
    const spec = this.manifest.graphs.vae_decoder;
    const scale = this.manifest.latent.scalingFactor;
    let data = latents.data;
    if (scale !== 1) {
      data = new Float32Array(latents.data.length);
      for (let i = 0; i < data.length; i++) data[i] = latents.data[i] / scale;
    }
    let fetch: Tensor | undefined;
    if (into) {
      const [n, , h, w] = latents.dims;
      const d = this.manifest.latent.downscale;
      const dims = [n, 3, h * d, w * d];
      if (into.length !== n * 3 * h * d * w * d) throw new Error(`vae_decoder: the output buffer has ${into.length} values; [${dims.join(', ')}] needs ${n * 3 * h * d * w * d}`);
      fetch = { dims, data: into };
    }
    return this.run('vae_decoder', { [spec.inputs[0].name]: { dims: latents.dims, data } }, fetch);
  }

  async denoise(inputs: DenoiserInputs, into?: Float32Array): Promise<Tensor> {
    const { x, hint, mask } = inputs;
    if (x.dims.length !== 5) throw new Error(`denoise: x must be [1, C, F, h, w], got [${x.dims.join(', ')}]`);
    const [, c, , h, w] = x.dims;
    if (hint.dims.length !== 5 || hint.dims[1] !== c || hint.dims[3] !== h || hint.dims[4] !== w) {
      throw new Error(`denoise: hint [${hint.dims.join(', ')}] must be [1, ${c}, K, ${h}, ${w}] for x [${x.dims.join(', ')}]`);
    }
    if (mask.length !== x.dims[2]) throw new Error(`denoise: mask has ${mask.length} entries for ${x.dims[2]} frames`);
    const keys = BigInt(hint.dims[2]);
    for (const value of mask) {
      if (value < -1n || value >= keys) throw new Error(`denoise: mask value ${value} is not a key index of the ${keys}-frame hint (or -1)`);
    }
    for (const [name, value] of [['t', inputs.t], ['t_hint', inputs.tHint]] as const) {
      if (!Number.isInteger(value)) throw new Error(`denoise: ${name} must be an integer timestep, got ${value}`);
    }
    return this.run(
      'denoiser',
      {
        x,
        t: int64Scalar(inputs.t),
        context: inputs.context,
        hint,
        mask: { dims: [1, mask.length], data: mask },
        t_hint: int64Scalar(inputs.tHint),
        // torch.LongTensor([s_cond]) truncates a float.
        s_cond: int64Scalar(Math.trunc(inputs.sCond)),
      },
      into ? { dims: x.dims, data: into } : undefined,
    );
  }

  async release(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const role of [...this.slots.keys()]) closing.push(this.close(role));
    await Promise.all(closing);
  }

  // ---------------------------------------------------------------------------------------------------------------

  private graph(role: GraphRole): GraphSpec | undefined {
    return (this.manifest.graphs as Partial<Record<GraphRole, GraphSpec>>)[role];
  }

  private promptTokenizer(): Promise<PromptTokenizer> {
    const text = this.manifest.text;
    if (!text) throw new Error('this pack has no text encoder');
    if (!this.tokenizer) {
      this.tokenizer = loadPromptTokenizer(path.join(this.dir, text.tokenizer), text, packId(this.manifest));
      this.tokenizer.catch(() => (this.tokenizer = null));
    }
    return this.tokenizer;
  }

  private runTextEncoder(ids: number[]): Promise<Tensor> {
    const spec = this.graph('text_encoder')!;
    return this.run('text_encoder', { [spec.inputs[0].name]: { dims: [1, ids.length], data: ids } });
  }

  /** Zeros shaped by the denoiser's context input (symbolic dims taken as 1), for packs without text. */
  private zeroContext(): Tensor {
    const spec = this.manifest.graphs.denoiser.inputs.find((i) => i.name === 'context')!;
    const dims = spec.shape.map((d) => (typeof d === 'number' ? d : 1));
    return { dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) };
  }

  /** Runs one graph: feeds converted to the manifest's dtypes, its single output returned as float32. With `into`
   *  and a float32 output, onnxruntime writes the output into the caller's buffer (pre-allocated fetches). */
  private async run(role: GraphRole, feeds: Record<string, FeedValue>, into?: Tensor): Promise<Tensor> {
    const spec = this.graph(role)!;
    const inputs: Record<string, ort.Tensor> = {};
    for (const input of spec.inputs) {
      const value = feeds[input.name];
      if (!value) throw new Error(`${role}: no value for input "${input.name}"`);
      inputs[input.name] = toOrtTensor(input, value);
    }
    const output = spec.outputs[0];
    const fetch = into && output.dtype === 'float32' ? new ort.Tensor('float32', into.data, into.dims) : null;
    const results = await this.withSession(role, (session) => (fetch ? session.run(inputs, { [output.name]: fetch }) : session.run(inputs)));
    const result = results[output.name];
    if (!result) throw new Error(`${role}: the graph returned no "${output.name}"`);
    try {
      if (fetch && into) {
        if (result.dims.join() !== into.dims.join()) {
          throw new Error(`${role}: output "${output.name}" is [${result.dims.join(', ')}], expected [${into.dims.join(', ')}]`);
        }
        // onnxruntime-node writes a pre-allocated output in place and returns a copy of its own besides: copying
        // that back would be one more pass over the whole output for nothing (pack-load.test.ts checks the in-place
        // write, into a buffer holding an earlier result).
        return { dims: Array.from(into.dims), data: into.data };
      }
      return { dims: Array.from(result.dims), data: toFloat32(result, `${role} output "${output.name}"`) };
    } finally {
      for (const tensor of Object.values(results)) tensor.dispose();
    }
  }

  private async withSession<T>(role: GraphRole, use: (session: ort.InferenceSession) => Promise<T> | T): Promise<T> {
    let slot = this.slots.get(role);
    if (!slot) {
      slot = { session: null, opening: null, busy: 0, timer: null };
      this.slots.set(role, slot);
    }
    slot.busy++;
    if (slot.timer) {
      clearTimeout(slot.timer);
      slot.timer = null;
    }
    try {
      if (!slot.session) {
        slot.opening ??= this.openSession(role).finally(() => (slot.opening = null));
        slot.session = await slot.opening;
      }
      return await use(slot.session);
    } finally {
      slot.busy--;
      if (slot.busy === 0) this.scheduleRelease(role, slot);
    }
  }

  private scheduleRelease(role: GraphRole, slot: SessionSlot): void {
    if (!Number.isFinite(this.idleReleaseMs)) return;
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (slot.busy === 0) void this.close(role).catch((error) => this.log(`closing ${role} failed: ${String(error)}`));
    }, Math.max(0, this.idleReleaseMs));
    slot.timer.unref();
  }

  private async close(role: GraphRole): Promise<void> {
    const slot = this.slots.get(role);
    if (!slot) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const session = slot.session ?? (slot.opening ? await slot.opening.catch(() => null) : null);
    slot.session = null;
    if (!session) return;
    await session.release();
    this.stats.sessionsReleased++;
    this.log(`closed ${role} session`);
  }

  /** Creates a session from the file path (so external data beside the graph resolves) on the chosen provider.
   *  A provider that cannot start is told apart from a bad file by retrying on CPU. */
  private async openSession(role: GraphRole): Promise<ort.InferenceSession> {
    const spec = this.graph(role)!;
    const file = path.join(this.dir, spec.file);
    const id = packId(this.manifest);
    const onCpu = () => this.createOrExplain(file, 'cpu', id, spec);
    const requested = this.provider;
    let session: ort.InferenceSession | null = null;
    if (requested === 'cpu') {
      session = await onCpu();
    } else {
      let reason = providerPlatformProblem(requested);
      let cpuSession: ort.InferenceSession | null = null;
      if (reason === null) {
        try {
          session = await ort.InferenceSession.create(file, sessionOptionsFor(requested, this.execution));
        } catch (error) {
          // The same file on CPU: if that fails too, the file is the problem, not the provider.
          cpuSession = await onCpu();
          reason = firstLine(error);
        }
      }
      if (reason !== null) {
        if (!this.execution.allowCpuFallback) {
          await cpuSession?.release();
          throw providerUnavailableError(requested, reason);
        }
        this.provider = 'cpu';
        this.note = fallbackNote(requested, reason);
        this.log(`${providerDisplayName(requested)} unavailable (${reason}); running ${id} on CPU`);
        session = cpuSession ?? (await onCpu());
      }
    }
    if (!session) throw new Error(`${role}: no session was created`);
    this.stats.sessionsOpened++;
    this.log(`opened ${role} session (${spec.file}) on ${this.provider}`);
    return session;
  }

  private async createOrExplain(file: string, provider: ExecutionProvider, id: string, spec: GraphSpec): Promise<ort.InferenceSession> {
    try {
      return await ort.InferenceSession.create(file, sessionOptionsFor(provider, this.execution));
    } catch (error) {
      const message = firstLine(error);
      if (/protobuf|INVALID_PROTOBUF|INVALID_GRAPH|model_load|ModelProto|Load model/i.test(message)) {
        throw new PackError(
          'NOT_ONNX',
          `Pack ${id}: ${spec.file} is not a valid ONNX model (onnxruntime: ${message}). Re-import the pack or re-export the graph.`,
        );
      }
      throw new PackError('CONTRACT_MISMATCH', `Pack ${id}: onnxruntime cannot open ${spec.file}: ${message}. Re-export the graph.`);
    }
  }
}

function int64Scalar(value: number): FeedValue {
  return { dims: [1], data: BigInt64Array.of(BigInt(value)) };
}

function toOrtTensor(spec: TensorSpec, value: FeedValue): ort.Tensor {
  const dims = Array.from(value.dims);
  const data = value.data;
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new Error(`input "${spec.name}": ${data.length} values for shape [${dims.join(', ')}]`);
  switch (spec.dtype as Dtype) {
    case 'float32':
      return new ort.Tensor('float32', data instanceof Float32Array ? data : Float32Array.from(data as number[]), dims);
    case 'float16':
      return new ort.Tensor('float16', float32ToFloat16(data instanceof Float32Array ? data : Float32Array.from(data as number[])), dims);
    case 'int64':
      return new ort.Tensor(
        'int64',
        data instanceof BigInt64Array ? data : BigInt64Array.from(data as ArrayLike<number>, (v) => BigInt(Math.round(v))),
        dims,
      );
    case 'int32':
      return new ort.Tensor(
        'int32',
        data instanceof BigInt64Array ? Int32Array.from(data, (v) => Number(v)) : Int32Array.from(data as ArrayLike<number>),
        dims,
      );
  }
}

function toFloat32(tensor: ort.Tensor, what: string): Float32Array {
  // No copy: disposing a CPU tensor drops its reference to the buffer, which the returned array keeps alive.
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') return float16ToFloat32(tensor.data as Uint16Array);
  throw new Error(`${what} is ${tensor.type}; the engine expects float32 or float16`);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // onnxruntime appends coloured native log lines; the first line says what failed.
  return message.split('\n')[0].replace(/\u001b\[[0-9;]*m/g, '').trim();
}
