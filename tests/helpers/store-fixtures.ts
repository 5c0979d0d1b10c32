// What the project-store tests share: probe data for a file that is never read (the store only keeps it), and
// the check that a call was refused with a given ApiError.
import { expect } from 'vitest';
import { ApiError } from '../../main/common/api';
import type { ProbeData } from '../../main/common/model';

/** Probe data of a 160x120, 24 fps H.264 file without audio, `durationSec` long. */
export function fakeProbe(durationSec: number): ProbeData {
  return {
    container: 'mov,mp4', durationSec, videoCodec: 'h264', fps: { num: 24, den: 1 }, variableFrameRate: false,
    frameCount: Math.round(durationSec * 24), width: 160, height: 120, rotation: 0, displayWidth: 160, displayHeight: 120,
    pixelFormat: 'yuv420p', bitDepth: 8, audio: [],
  };
}

/** `run` throws an ApiError with this code and a message equal to (string) or matching (RegExp) `message`. */
export function expectApiError(run: () => unknown, code: string, message: RegExp | string): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ApiError);
  expect((thrown as ApiError).code).toBe(code);
  if (typeof message === 'string') expect((thrown as ApiError).message).toBe(message);
  else expect((thrown as ApiError).message).toMatch(message);
}
