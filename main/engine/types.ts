// Interfaces between the engine's parts: the pack runtime (ONNX sessions), the diffusion pipeline, the classic
// ffmpeg engine, and the engine process that hosts either. Pure types: no node-only imports.
import type { ClipSettings } from '../common/settings';
import type { PackManifest } from './pack/manifest';

/** A dense float tensor, row-major. */
export type Tensor = { dims: number[]; data: Float32Array };

/** Execution options chosen by the platform and the user's settings. */
export type ExecutionOptions = {
  provider: 'cuda' | 'dml' | 'coreml' | 'cpu';
  deviceId: number;
  /** Intra-op threads for the CPU provider; 0 lets onnxruntime decide. */
  threads: number;
  /** Run fp16 graphs where the pack ships them. */
  fp16: boolean;
  /** Fall back to CPU when the requested provider cannot start. Never silent: the fallback is reported. */
  allowCpuFallback: boolean;
};

export type DenoiserInputs = {
  /** [1, C, F, h, w] noisy latents, VP-scaled (x_t = alpha x0 + sigma eps). */
  x: Tensor;
  /** Integer timestep (fed as int64 [1]). */
  t: number;
  /** [1, T, D] text hidden states. */
  context: Tensor;
  /** [1, C, K, h, w] the clip's K noise-augmented key-frame latents (all of them, for every chunk). */
  hint: Tensor;
  /** [F] global key index (0..K-1) at key frames, -1 at inserted frames; fed as int64 [1, F]. */
  mask: BigInt64Array;
  /** Integers, fed as int64 [1] (s_cond truncated as torch.LongTensor does). */
  tHint: number;
  sCond: number;
};

/** A loaded, verified pack with lazily opened sessions. Implemented in main/engine/pack/runtime.ts. */
export interface PackRuntime {
  readonly manifest: PackManifest;
  readonly dir: string;
  /** sha256 over the manifest and file hashes: part of every cache key. */
  readonly packHash: string;
  /** Provider actually in use (after any allowed fallback) and why, for the UI. */
  readonly providerInUse: string;
  /** Context for the user's prompt (plus the pack's positive suffix). Packs without a text encoder get zeros
   *  shaped by the denoiser's context input (symbolic dims taken as 1). */
  encodeText(prompt: string): Promise<Tensor>;
  /** Context for the pack's fixed negative prompt (classifier-free guidance's unconditional pass). */
  encodeNegative(): Promise<Tensor>;
  /** images [N, 3, H, W] in [-1, 1] -> posterior moments [N, 2C, H/d, W/d] (mean, then clamped log-variance);
   *  the caller samples and scales (CONTRACT-V2.md). */
  vaeEncode(images: Tensor): Promise<Tensor>;
  /** latents [N, C, h, w] (scaled: divided by scalingFactor here) -> images [N, 3, H, W] in [-1, 1]. With `into`
   *  (the images' length) the graph writes there, as denoise does. */
  vaeDecode(latents: Tensor, into?: Float32Array): Promise<Tensor>;
  /** One model evaluation; returns the prediction of manifest.schedule.prediction type, shaped like x. With `into`
   *  (x's length) a float32 graph writes its output there (onnxruntime's pre-allocated fetches), and the result's
   *  data is `into`: no allocation per call. */
  denoise(inputs: DenoiserInputs, into?: Float32Array): Promise<Tensor>;
  /** Closes every open session. */
  release(): Promise<void>;
}

/** RGB24 frame, packed, as ffmpeg's rawvideo rgb24. */
export type RgbFrame = { width: number; height: number; data: Uint8Array };

export type EnhanceSegment = {
  input: string;
  /** Source range in seconds; the whole file when absent. */
  startSec?: number;
  endSec?: number;
};

export type EnhanceJobSpec = EnhanceSegment & {
  settings: ClipSettings;
  /** Pack folder for the diffusion engine. */
  packDir?: string;
  execution: ExecutionOptions;
  /** Output: an encoded video file (audio carried over), a folder of numbered PNG frames, or a cache chunk: an
   *  H.264 MP4 without audio that browsers play and ffmpeg's concat demuxer joins by stream copy. */
  output: { kind: 'video'; path: string; crf?: number } | { kind: 'frames'; dir: string } | { kind: 'chunk'; path: string };
  /** Output frames to write, counted from the job's first output frame; the others are computed (as context for
   *  temporal filters and the sampler) and dropped. All frames when absent. */
  keep?: { first: number; count: number };
};

export type EngineStage = 'decode' | 'vae_encode' | 'denoise' | 'vae_decode' | 'blend' | 'write' | 'upscale';

export type EngineProgress = {
  /** 0..1 over the whole job. */
  fraction: number;
  stage: EngineStage | 'encode';
  /** Completed and total units of the current plan (denoiser calls for diffusion, frames for classic). */
  done: number;
  total: number;
  etaSec: number | null;
  message?: string;
};

export type EngineResult = {
  outputPath: string;
  frames: number;
  width: number;
  height: number;
  fps: number;
  /** Seconds per stage, summed over the job, for the benchmarks' stage breakdown. */
  stageSeconds: Partial<Record<EngineStage, number>>;
  /** Providers and fallbacks as they happened, for the user. */
  notes: string[];
};

/** What a running job may call back into. Shared by the diffusion pipeline and the classic engine. */
export type JobHooks = {
  onProgress(progress: EngineProgress): void;
  /** Called before every denoiser call and between frames: yields one macrotask (so a cancel message that
   *  arrived while onnxruntime blocked the thread is seen), then throws CancelledError if the job was cancelled. */
  checkpoint(): Promise<void>;
  log?(message: string): void;
};

export class CancelledError extends Error {
  constructor(message = 'Cancelled by the user') {
    super(message);
    this.name = 'CancelledError';
  }
}
