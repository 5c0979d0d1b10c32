// Execution providers: which one 'auto' means on this platform, the onnxruntime session options for a choice, and
// the message when a provider cannot start (onnxruntime-node throws instead of falling back).
import type { InferenceSession } from 'onnxruntime-node';
import type { Provider } from '../../common/settings';
import type { ExecutionOptions } from '../types';
import { PackError } from './errors';

export type ExecutionProvider = ExecutionOptions['provider'];

const DISPLAY: Record<ExecutionProvider, string> = { cuda: 'CUDA', dml: 'DirectML', coreml: 'CoreML', cpu: 'CPU' };

/** Platforms each provider can run on at all (CUDA: Linux and Windows; DirectML: Windows; CoreML: macOS). */
const PLATFORMS: Record<ExecutionProvider, readonly NodeJS.Platform[] | null> = {
  cuda: ['linux', 'win32'],
  dml: ['win32'],
  coreml: ['darwin'],
  cpu: null,
};

export function providerDisplayName(provider: ExecutionProvider): string {
  return DISPLAY[provider];
}

/** 'auto': CUDA on Linux, DirectML on Windows (ships with onnxruntime-node there and runs on any GPU), CoreML on
 *  macOS, CPU elsewhere. */
export function autoProvider(platform: NodeJS.Platform = process.platform): ExecutionProvider {
  if (platform === 'linux') return 'cuda';
  if (platform === 'win32') return 'dml';
  if (platform === 'darwin') return 'coreml';
  return 'cpu';
}

/** ExecutionOptions from a settings choice. 'auto' allows the CPU fallback unless told otherwise (the fallback is
 *  reported, never silent); an explicit provider does not. */
export function executionOptionsFor(
  choice: Provider,
  opts: { deviceId?: number; threads?: number; fp16?: boolean; allowCpuFallback?: boolean; platform?: NodeJS.Platform } = {},
): ExecutionOptions {
  const provider = choice === 'auto' ? autoProvider(opts.platform) : choice;
  return {
    provider,
    deviceId: opts.deviceId ?? 0,
    threads: opts.threads ?? 0,
    fp16: opts.fp16 ?? provider !== 'cpu',
    allowCpuFallback: opts.allowCpuFallback ?? choice === 'auto',
  };
}

export function sessionOptionsFor(
  provider: ExecutionProvider,
  execution: Pick<ExecutionOptions, 'deviceId' | 'threads'>,
): InferenceSession.SessionOptions {
  const providers: InferenceSession.ExecutionProviderConfig[] =
    provider === 'cuda'
      ? [{ name: 'cuda', deviceId: execution.deviceId }]
      : provider === 'dml'
        ? [{ name: 'dml', deviceId: execution.deviceId }]
        : provider === 'coreml'
          ? [{ name: 'coreml' }]
          : [{ name: 'cpu' }];
  const options: InferenceSession.SessionOptions = {
    executionProviders: providers,
    graphOptimizationLevel: 'all',
    // Errors reach the user through PackError; onnxruntime's own warnings would only clutter the log.
    logSeverityLevel: 3,
  };
  if (execution.threads > 0) options.intraOpNumThreads = execution.threads;
  // The engine shares the CPU with its own ffmpeg decoder and encoder and with its host-side loops between calls:
  // idle onnxruntime threads that spin waiting for the next parallel section take the cores those need.
  options.extra = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
  return options;
}

/** Why a provider cannot be used here without even trying, or null. */
export function providerPlatformProblem(provider: ExecutionProvider, platform: NodeJS.Platform = process.platform): string | null {
  const platforms = PLATFORMS[provider];
  if (!platforms || platforms.includes(platform)) return null;
  return `${DISPLAY[provider]} runs only on ${platforms.map(platformName).join(' and ')} (this is ${platformName(platform)})`;
}

export function providerUnavailableError(provider: ExecutionProvider, reason: string): PackError {
  const name = DISPLAY[provider];
  const install = provider === 'cuda' ? 'Run `npm run setup` on a machine with internet to install the CUDA provider, ' : '';
  const pick = install ? 'pick CPU in the engine settings' : 'Pick CPU in the engine settings';
  return new PackError('PROVIDER_UNAVAILABLE', `${name} is not available: ${reason}. ${install}${pick}, or allow CPU fallback.`);
}

/** How the fallback is shown to the user, e.g. "cpu (CUDA unavailable: <reason>)". */
export function fallbackNote(provider: ExecutionProvider, reason: string): string {
  return `cpu (${DISPLAY[provider]} unavailable: ${reason})`;
}

function platformName(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'Windows' : platform === 'darwin' ? 'macOS' : platform === 'linux' ? 'Linux' : platform;
}
