// Decides whether a file can stand in for a media asset: on reopen (is the file still the one imported?) and on
// relink (is the new file the same footage?).
import type { MediaAsset, ProbeData } from '../common/model';
import type { MediaFacts } from '../media/types';

/** What differs between the asset's footage and a candidate file, in words; empty when they match. */
export function footageDifferences(expected: ProbeData, candidate: ProbeData): string[] {
  const differences: string[] = [];
  const fps = (p: ProbeData) => p.fps.num / p.fps.den;
  const frameSec = 1 / Math.max(fps(expected), 1);
  // Containers round durations differently: within one frame (and 50 ms) counts as the same length.
  if (Math.abs(expected.durationSec - candidate.durationSec) > Math.max(frameSec, 0.05)) {
    differences.push(`duration ${candidate.durationSec.toFixed(2)} s instead of ${expected.durationSec.toFixed(2)} s`);
  }
  if (Math.abs(fps(expected) - fps(candidate)) > 0.01) {
    differences.push(`frame rate ${formatFps(candidate)} instead of ${formatFps(expected)}`);
  }
  if (expected.displayWidth !== candidate.displayWidth || expected.displayHeight !== candidate.displayHeight) {
    differences.push(
      `size ${candidate.displayWidth}x${candidate.displayHeight} instead of ${expected.displayWidth}x${expected.displayHeight}`,
    );
  }
  return differences;
}

function formatFps(p: ProbeData): string {
  const value = p.fps.num / p.fps.den;
  return `${Number.isInteger(value) ? value : value.toFixed(3)} fps`;
}

/** A relink candidate is accepted when it is the same content, or the same footage by duration, rate and size. */
export function relinkMismatch(asset: MediaAsset, candidate: MediaFacts): string | null {
  if (candidate.fingerprint === asset.fingerprint) return null;
  const differences = footageDifferences(asset.probe, candidate.probe);
  if (differences.length === 0) return null;
  return (
    `${candidate.path} does not match "${asset.name}": its ${differences.join(', ')}. ` +
    'Choose the original file (or a copy with the same duration, frame rate and size).'
  );
}
