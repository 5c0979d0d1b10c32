import { describe, expect, it } from 'vitest';
import { FfmpegProgressParser, type FfmpegProgressBlock } from '../../main/engine/classic/ffmpeg-progress';

describe('FfmpegProgressParser', () => {
  it('emits one block per progress= line, across chunk boundaries', () => {
    const blocks: FfmpegProgressBlock[] = [];
    const parser = new FfmpegProgressParser((b) => blocks.push(b));
    parser.push('frame=12\nfps=0.0\nout_time_us=500000\nout_time_ms=500000\nprogr');
    expect(blocks).toEqual([]);
    parser.push('ess=continue\r\nframe=48\nout_time_us=N/A\nprogress=end\n');
    expect(blocks).toEqual([
      { frame: 12, outTimeSec: 0.5, end: false },
      { frame: 48, outTimeSec: null, end: true },
    ]);
  });

  it('does not carry fields of one block into the next', () => {
    const blocks: FfmpegProgressBlock[] = [];
    const parser = new FfmpegProgressParser((b) => blocks.push(b));
    parser.push('frame=3\nout_time_ms=100000\nprogress=continue\nprogress=continue\n');
    expect(blocks[1]).toEqual({ frame: null, outTimeSec: null, end: false });
  });
});
