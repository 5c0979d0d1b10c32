// The export planner: ranges, the topmost visible clip at each frame, gaps, conform policies, pieces.
import { describe, expect, it } from 'vitest';
import type { Clip, Track } from '../../main/common/model';
import { defaultClipSettings } from '../../main/common/settings';
import { mediaTimeOf, planExport, type ClipOutput, type ClipSegment, type PlanInput } from '../../main/export/plan';
import { expectApiError } from '../helpers/store-fixtures';

const fps24 = { num: 24, den: 1 };
const tracks: Track[] = [
  { id: 1, position: 0, name: 'V1', muted: false, hidden: false, locked: false },
  { id: 2, position: 1, name: 'V2', muted: true, hidden: false, locked: false },
  { id: 3, position: 2, name: 'V3', muted: false, hidden: true, locked: false },
];

function clip(id: number, trackId: number, start: number, sourceIn: number, sourceOut: number): Clip {
  return { id, mediaId: id * 10, trackId, start, sourceIn, sourceOut, settings: defaultClipSettings() };
}

function input(clips: Clip[], extra: Partial<PlanInput> = {}, outputs: Record<number, ClipOutput> = {}): PlanInput {
  return {
    projectFps: fps24,
    projectSize: { width: 640, height: 360 },
    markIn: null,
    markOut: null,
    tracks,
    clips,
    range: { kind: 'timeline' },
    conform: { policy: 'first' },
    outputOf: (c) => outputs[c.id] ?? { width: 320, height: 240, fps: fps24 },
    pieceSec: 1,
    ...extra,
  };
}

const spans = (plan: ReturnType<typeof planExport>) =>
  plan.segments.map((s) => (s.kind === 'gap' ? ['gap', s.outputStart, s.outputEnd] : [s.clipId, s.outputStart, s.outputEnd]));

describe('planExport: segments', () => {
  it('covers the timeline with clips and black gaps', () => {
    const plan = planExport(input([clip(1, 1, 0, 0, 24), clip(2, 1, 48, 10, 34)]));
    expect(spans(plan)).toEqual([
      [1, 0, 24],
      ['gap', 24, 48],
      [2, 48, 72],
    ]);
    expect(plan.frames).toBe(72);
    const second = plan.segments[2] as ClipSegment;
    expect(second.mediaStartSec).toBeCloseTo(10 / 24, 9);
  });

  it('shows the highest visible track; hidden tracks are skipped, muted ones flagged', () => {
    const plan = planExport(input([clip(1, 1, 0, 0, 48), clip(2, 2, 12, 100, 24 + 100), clip(3, 3, 0, 0, 48)]));
    expect(spans(plan)).toEqual([
      [1, 0, 12],
      [2, 12, 36],
      [1, 36, 48],
    ]);
    const [a, b, c] = plan.segments as ClipSegment[];
    expect([a.muted, b.muted]).toEqual([false, true]);
    // The lower clip resumes where the timeline is, not where it was covered.
    expect(c.mediaStartSec).toBeCloseTo(36 / 24, 9);
    expect(b.mediaStartSec).toBeCloseTo(100 / 24, 9);
  });

  it('exports the marks, and asks to set I and O when they are unset', () => {
    const clips = [clip(1, 1, 0, 0, 48)];
    const plan = planExport(input(clips, { range: { kind: 'marks' }, markIn: 10, markOut: 20 }));
    expect(spans(plan)).toEqual([[1, 0, 10]]);
    expect((plan.segments[0] as ClipSegment).mediaStartSec).toBeCloseTo(10 / 24, 9);
    expectApiError(() => planExport(input(clips, { range: { kind: 'marks' } })), 'BAD_REQUEST', /set I and O/);
    expectApiError(() => planExport(input(clips, { range: { kind: 'marks' }, markIn: 20, markOut: 20 })), 'BAD_REQUEST', /not after the in mark/);
  });

  it('exports selected clips whole, in timeline order, even when covered or hidden', () => {
    const plan = planExport(input([clip(1, 1, 30, 0, 10), clip(2, 2, 0, 5, 25), clip(3, 3, 10, 0, 6)], { range: { kind: 'clips', clipIds: [1, 3, 2] } }));
    expect(spans(plan)).toEqual([
      [2, 0, 20],
      [3, 20, 26],
      [1, 26, 36],
    ]);
    expectApiError(() => planExport(input([clip(1, 1, 0, 0, 10)], { range: { kind: 'clips', clipIds: [9] } })), 'NOT_FOUND', /Clip 9 is not on the timeline/);
  });

  it('refuses an empty timeline', () => {
    expectApiError(() => planExport(input([clip(1, 3, 0, 0, 10)])), 'BAD_REQUEST', /timeline is empty/);
  });
});

describe('planExport: output size and rate', () => {
  const clips = [clip(1, 1, 0, 0, 24), clip(2, 1, 24, 0, 24)];
  const outputs = { 1: { width: 320, height: 240, fps: fps24 }, 2: { width: 640, height: 480, fps: { num: 48, den: 1 } } };

  it('conforms to the first clip, the largest, or a custom size and rate', () => {
    const first = planExport(input(clips, {}, outputs));
    expect([first.width, first.height, first.fps]).toEqual([320, 240, fps24]);
    const largest = planExport(input(clips, { conform: { policy: 'largest' } }, outputs));
    expect([largest.width, largest.height, largest.fps]).toEqual([640, 480, { num: 48, den: 1 }]);
    // Interpolation never changes a duration: 1 s of timeline is 48 frames at 48 fps.
    expect(spans(largest)).toEqual([
      [1, 0, 48],
      [2, 48, 96],
    ]);
    const custom = planExport(input(clips, { conform: { policy: 'custom', width: 1280, height: 720, fps: { num: 30000, den: 1001 } } }, outputs));
    expect([custom.width, custom.height, custom.frames]).toEqual([1280, 720, Math.round((48 / 24) * (30000 / 1001))]);
    expectApiError(() => planExport(input(clips, { conform: { policy: 'custom', width: 1280 } }, outputs)), 'BAD_REQUEST', /custom output needs/);
    // The project's size and rate (Project settings), whatever the clips give.
    const project = planExport(input(clips, { conform: { policy: 'project' } }, outputs));
    expect([project.width, project.height, project.fps, project.frames]).toEqual([640, 360, fps24, 48]);
  });

  it('keeps segment boundaries on one output grid (no drift at odd rates)', () => {
    const many = Array.from({ length: 7 }, (_, i) => clip(i + 1, 1, i * 7, 0, 7));
    const plan = planExport(input(many, { conform: { policy: 'custom', width: 320, height: 240, fps: { num: 30000, den: 1001 } } }));
    expect(plan.frames).toBe(Math.round(((49 / 24) * 30000) / 1001));
    for (let i = 1; i < plan.segments.length; i++) expect(plan.segments[i].outputStart).toBe(plan.segments[i - 1].outputEnd);
    // Each segment's first frame shows the media time of its output frame, within half an output frame.
    for (const s of plan.segments as ClipSegment[]) {
      const timelineSec = (s.outputStart * 1001) / 30000;
      expect(Math.abs(s.mediaStartSec - (timelineSec - s.timelineStart / 24))).toBeLessThan(1e-9 + 0.5 * (1001 / 30000));
      expect(mediaTimeOf(s, plan.fps, s.outputStart)).toBeCloseTo(s.mediaStartSec, 12);
    }
  });
});

describe('planExport: pieces', () => {
  it('cuts each segment into pieces of about pieceSec that tile the output exactly', () => {
    const plan = planExport(input([clip(1, 1, 0, 0, 100), clip(2, 1, 110, 0, 13)], { pieceSec: 1 }));
    expect(plan.pieces.map((p) => [p.segment, p.outputStart, p.frames])).toEqual([
      [0, 0, 25],
      [0, 25, 25],
      [0, 50, 25],
      [0, 75, 25],
      [1, 100, 10],
      [2, 110, 13],
    ]);
    expect(plan.pieces.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
