// Default execution options for a job, from the platform and the clip's (or the CLI's) choices. The provider rule
// itself ('auto' -> the platform's GPU provider with a reported CPU fallback) lives with the providers in
// main/engine/pack/providers.ts; this adds the checks on what a user typed.
import os from 'node:os';
import type { Provider } from '../common/settings';
import { executionOptionsFor } from './pack/providers';
import type { ExecutionOptions } from './types';

export type ExecutionChoice = {
  provider: Provider;
  /** Intra-op threads for the CPU provider; 0 (default) lets onnxruntime decide. */
  threads?: number;
  deviceId?: number;
  /** Allow falling back to CPU when the requested GPU provider cannot start ('auto' always allows it). */
  allowCpuFallback?: boolean;
};

/** The most intra-op threads accepted: more than a few per core only slows onnxruntime down. */
export function maxThreads(): number {
  return Math.max(1, os.cpus().length) * 4;
}

export function defaultExecutionOptions(choice: ExecutionChoice, platform: NodeJS.Platform = process.platform): ExecutionOptions {
  const threads = choice.threads ?? 0;
  if (!Number.isInteger(threads) || threads < 0 || threads > maxThreads()) {
    throw new RangeError(`threads must be a whole number from 0 (automatic) to ${maxThreads()}; got ${threads}`);
  }
  const deviceId = choice.deviceId ?? 0;
  if (!Number.isInteger(deviceId) || deviceId < 0) throw new RangeError(`deviceId must be a whole number from 0; got ${deviceId}`);
  return executionOptionsFor(choice.provider, {
    platform,
    threads,
    deviceId,
    allowCpuFallback: choice.provider === 'auto' || choice.allowCpuFallback === true,
  });
}
