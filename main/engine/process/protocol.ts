// The messages between the engine host (main process, web host or CLI) and the engine process. One protocol for
// every launcher (child_process fork, Electron utilityProcess); both sides validate every message they receive,
// so a message from a mismatched build fails loudly instead of being half-understood.
import { z } from 'zod';
import { ClipSettingsSchema } from '../../common/settings';
import type { EngineProgress, EngineResult, EnhanceJobSpec } from '../types';

const ENGINE_STAGES = ['decode', 'vae_encode', 'denoise', 'vae_decode', 'blend', 'write', 'upscale'] as const;

export const ExecutionOptionsSchema = z.object({
  provider: z.enum(['cuda', 'dml', 'coreml', 'cpu']),
  deviceId: z.number().int().nonnegative(),
  threads: z.number().int().nonnegative(),
  fp16: z.boolean(),
  allowCpuFallback: z.boolean(),
});

export const EnhanceJobSpecSchema = z.object({
  input: z.string().min(1),
  startSec: z.number().nonnegative().optional(),
  endSec: z.number().positive().optional(),
  settings: ClipSettingsSchema,
  packDir: z.string().min(1).optional(),
  execution: ExecutionOptionsSchema,
  output: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('video'), path: z.string().min(1), crf: z.number().int().min(0).max(63).optional() }),
    z.object({ kind: z.literal('frames'), dir: z.string().min(1) }),
    z.object({ kind: z.literal('chunk'), path: z.string().min(1) }),
  ]),
  keep: z.object({ first: z.number().int().nonnegative(), count: z.number().int().positive() }).optional(),
});

export const EngineProgressSchema = z.object({
  fraction: z.number().min(0).max(1),
  stage: z.enum([...ENGINE_STAGES, 'encode']),
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
  etaSec: z.number().nonnegative().nullable(),
  message: z.string().optional(),
});

export const EngineResultSchema = z.object({
  outputPath: z.string(),
  frames: z.number().int().nonnegative(),
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
  fps: z.number().nonnegative(),
  stageSeconds: z.partialRecord(z.enum(ENGINE_STAGES), z.number().nonnegative()),
  notes: z.array(z.string()),
});

const jobId = z.string().min(1);

/** Host -> engine process. */
export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run'), jobId, spec: EnhanceJobSpecSchema }),
  z.object({ type: z.literal('cancel'), jobId }),
  z.object({ type: z.literal('shutdown') }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;

/** Engine process -> host. */
export const EngineMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number().int() }),
  z.object({ type: z.literal('progress'), jobId, progress: EngineProgressSchema }),
  z.object({
    type: z.literal('done'),
    jobId,
    result: EngineResultSchema,
    /** Peak resident set size of the engine process so far, for the memory benchmark. */
    peakRssBytes: z.number().nonnegative(),
  }),
  z.object({
    type: z.literal('failed'),
    jobId,
    error: z.object({ code: z.string().min(1), message: z.string(), stack: z.string().optional() }),
  }),
  z.object({ type: z.literal('cancelled'), jobId }),
  z.object({ type: z.literal('log'), jobId: jobId.optional(), message: z.string() }),
]);
export type EngineMessage = z.infer<typeof EngineMessageSchema>;

/** Message sent when a cancel request reaches the worker: the progress at that moment, so callers (and the
 *  cancel test) can see how much work ran after the request. */
export const CANCEL_RECEIVED_MESSAGE = 'Cancel requested';

export function parseHostMessage(raw: unknown): HostMessage {
  return HostMessageSchema.parse(raw);
}

export function parseEngineMessage(raw: unknown): EngineMessage {
  return EngineMessageSchema.parse(raw);
}

// Compile-time checks that the schemas and the engine's shared types stay the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const specMatches: Same<z.infer<typeof EnhanceJobSpecSchema>, EnhanceJobSpec> = true;
const progressMatches: Same<z.infer<typeof EngineProgressSchema>, EngineProgress> = true;
const resultMatches: Same<z.infer<typeof EngineResultSchema>, EngineResult> = true;
void specMatches;
void progressMatches;
void resultMatches;
