// Export codecs and command lines: encoder arguments, the encoder list, piece and assembly arguments, names.
import { describe, expect, it } from 'vitest';
import { codecDefinition, listCodecs, parseEncoderList } from '../../main/export/codecs';
import { assembleArgs, audioTrackArgs, copiesSourceAudio, pieceArgs, rateConverter, trackTimescale } from '../../main/export/ffmpeg-args';
import { expandName, outputTarget } from '../../main/export/output-target';

describe('codecs', () => {
  it('gives each codec its encoder arguments', () => {
    expect(codecDefinition('h264').args({ mode: 'crf', crf: 18 })).toEqual(['-c:v', 'libx264', '-preset', 'medium', '-crf', '18', '-pix_fmt', 'yuv420p']);
    expect(codecDefinition('h264').args({ mode: 'bitrate', kbps: 8000 })).toEqual(['-c:v', 'libx264', '-preset', 'medium', '-b:v', '8000k', '-pix_fmt', 'yuv420p']);
    expect(codecDefinition('h265').args({ mode: 'crf', crf: 22 })).toEqual(expect.arrayContaining(['libx265', '-crf', '22', 'hvc1']));
    expect(codecDefinition('prores_hq').args({ mode: 'crf', crf: 18 })).toEqual(['-c:v', 'prores_ks', '-profile:v', '3', '-vendor', 'apl0', '-pix_fmt', 'yuv422p10le']);
    expect(codecDefinition('prores_hq').container).toBe('mov');
    expect(codecDefinition('png').container).toBe('png');
    expect(codecDefinition('h264_nvenc').args({ mode: 'crf', crf: 20 })).toEqual(expect.arrayContaining(['h264_nvenc', '-cq', '20']));
  });

  it('marks encoders available from `ffmpeg -encoders`', () => {
    const text = [
      'Encoders:',
      ' V..... = Video',
      ' ------',
      ' V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC (codec h264)',
      ' V....D prores_ks            Apple ProRes (iCodec Pro) (codec prores)',
      ' V....D png                  PNG (Portable Network Graphics) image',
      ' V....D h264_nvenc           NVIDIA NVENC H.264 encoder (codec h264)',
      ' A....D aac                  AAC (Advanced Audio Coding)',
    ].join('\n');
    const names = parseEncoderList(text);
    expect([...names].sort()).toEqual(['aac', 'h264_nvenc', 'libx264', 'png', 'prores_ks']);
    const codecs = listCodecs(names);
    const available = codecs.filter((c) => c.available).map((c) => c.id);
    expect(available).toEqual(['h264', 'prores_hq', 'png', 'h264_nvenc']);
    expect(codecs.find((c) => c.id === 'h265')).toMatchObject({ available: false, hardware: false });
    expect(codecs.find((c) => c.id === 'hevc_vaapi')).toMatchObject({ available: false, hardware: true });
  });
});

describe('piece arguments', () => {
  const out = {
    width: 640,
    height: 360,
    fps: { num: 24, den: 1 },
    frames: 48,
    codec: codecDefinition('h264'),
    quality: { mode: 'crf' as const, crf: 18 },
    rateConversion: 'nearest' as const,
  };

  it('seeks with context, runs the classic chain, places the first frame at 0 and conforms the size', () => {
    const args = pieceArgs(
      { kind: 'classic', path: '/m/a.mp4', sourceFps: { num: 12, den: 1 }, filters: ['scale=320:240'], width: 320, height: 240, fps: { num: 12, den: 1 }, mediaStartSec: 1, mediaEndSec: 3 },
      { ...out, target: { kind: 'file', path: '/o/piece.tmp.mp4' } },
    );
    // Frame 12 less 6 context frames = frame 6 (0.5 s), sought half a frame early.
    expect(args.slice(args.indexOf('-ss'), args.indexOf('-ss') + 2)).toEqual(['-ss', (0.5 - 0.5 / 12).toFixed(6)]);
    expect(args).toContain('file:/m/a.mp4');
    const vf = args[args.indexOf('-vf') + 1];
    expect(vf).toMatch(/^setpts=PTS-STARTPTS,scale=320:240,tpad=stop_mode=clone:stop=4,settb=AVTB,setpts=PTS-0\.500000\/TB,fps=fps=24\/1:start_time=0:round=near,scale=640:360:force_original_aspect_ratio=decrease/);
    expect(vf).toContain('pad=640:360:(ow-iw)/2:(oh-ih)/2');
    expect(args.slice(args.indexOf('-frames:v'), args.indexOf('-frames:v') + 2)).toEqual(['-frames:v', '48']);
    expect(args.slice(-5)).toEqual(['-video_track_timescale', String(trackTimescale({ num: 24, den: 1 })), '-f', 'mp4', '/o/piece.tmp.mp4']);
    expect(trackTimescale({ num: 30000, den: 1001 }) % 30000).toBe(0);
  });

  it('converts another frame rate by blending or motion compensation before taking the output grid, if asked', () => {
    const classic = { kind: 'classic' as const, path: '/m/a.mp4', sourceFps: { num: 25, den: 1 }, filters: [], width: 640, height: 360, mediaStartSec: 0, mediaEndSec: 2 };
    const vf = (fps: { num: number; den: number }, rateConversion: 'nearest' | 'blend' | 'motion') => {
      const args = pieceArgs({ ...classic, fps }, { ...out, rateConversion, target: { kind: 'file', path: '/o/p.mp4' } });
      return args[args.indexOf('-vf') + 1];
    };
    expect(vf({ num: 25, den: 1 }, 'blend')).toMatch(/setpts=PTS-0\.000000\/TB,framerate=fps=24\/1:interp_start=0:interp_end=255:scene=100,fps=fps=24\/1:/);
    expect(vf({ num: 25, den: 1 }, 'motion')).toMatch(/,minterpolate=fps=24\/1:mi_mode=mci:[^,]*,fps=fps=24\/1:/);
    expect(vf({ num: 25, den: 1 }, 'nearest')).not.toMatch(/framerate|minterpolate/);
    // Already at the output rate: nothing to convert.
    expect(vf({ num: 24, den: 1 }, 'blend')).not.toMatch(/framerate|minterpolate/);
    expect(rateConverter({ num: 48, den: 2 }, { num: 24, den: 1 }, 'motion')).toBeNull();
  });

  it('writes black for a gap and numbered PNG frames for a sequence', () => {
    const args = pieceArgs({ kind: 'gap' }, { ...out, codec: codecDefinition('png'), target: { kind: 'frames', dir: '/o/p1.tmp', startNumber: 49 } });
    expect(args).toContain('color=c=black:s=640x360:r=24/1');
    expect(args.slice(-5)).toEqual(['-f', 'image2', '-start_number', '49', '/o/p1.tmp/frame-%08d.png']);
  });
});

describe('assembly arguments', () => {
  const plan = {
    fps: { num: 24, den: 1 },
    frames: 72,
    segments: [
      { kind: 'clip' as const, clipId: 1, mediaId: 1, muted: false, timelineStart: 0, timelineEnd: 24, mediaStartSec: 2, outputStart: 0, outputEnd: 24 },
      { kind: 'gap' as const, outputStart: 24, outputEnd: 48 },
      { kind: 'clip' as const, clipId: 2, mediaId: 2, muted: false, timelineStart: 48, timelineEnd: 72, mediaStartSec: 0, outputStart: 48, outputEnd: 72 },
    ],
  };

  it('builds one AAC track: sources trimmed and placed, silence between, exact lengths; the assembly copies it', () => {
    const audioParts = [{ kind: 'source' as const, path: '/m/a.mp4', mediaStartSec: 2, codec: 'aac' }, { kind: 'silence' as const }, { kind: 'silence' as const }];
    const track = audioTrackArgs({ plan, audioParts }, '/p/audio.tmp.m4a');
    expect(track.slice(track.indexOf('-ss'), track.indexOf('-ss') + 6)).toEqual(['-ss', '2.000000', '-t', '1.100000', '-i', 'file:/m/a.mp4']);
    const graph = track[track.indexOf('-filter_complex') + 1];
    expect(graph).toContain('[0:a:0]aresample=48000');
    expect(graph).toContain('atrim=end_sample=48000');
    expect(graph.match(/anullsrc/g)).toHaveLength(2);
    expect(graph).toContain('[a0][a1][a2]concat=n=3:v=0:a=1[aout]');
    expect(track.slice(-9)).toEqual(['-map', '[aout]', '-c:a', 'aac', '-b:a', '192k', '-f', 'mp4', '/p/audio.tmp.m4a']);
    const { args } = assembleArgs({ plan, piecesList: '/p/pieces.txt', container: 'mp4', audio: 'copy', audioParts, tempPath: '/o/.x.partial.mp4', audioTrack: '/p/audio.m4a' });
    expect(args).toEqual(expect.arrayContaining(['-c:v', 'copy', '-i', '/p/audio.m4a', '-map', '1:a:0', '-c:a', 'copy']));
  });

  it('copies one clip\'s audio when the container takes it, and writes none when asked', () => {
    const single = { fps: plan.fps, frames: 24, segments: [plan.segments[0]] };
    const aac = { kind: 'source' as const, path: '/m/a.mp4', mediaStartSec: 2, codec: 'aac' };
    const copy = assembleArgs({ plan: single, piecesList: '/p', container: 'mp4', audio: 'copy', audioParts: [aac], tempPath: '/t.mp4', audioTrack: null });
    expect(copy.args).toEqual(expect.arrayContaining(['-i', 'file:/m/a.mp4', '-map', '1:a:0', '-c:a', 'copy']));
    expect(copiesSourceAudio({ audio: 'copy', container: 'mp4', audioParts: [{ ...aac, codec: 'pcm_s16le' }] })).toBeNull();
    expect(copiesSourceAudio({ audio: 'copy', container: 'mov', audioParts: [{ ...aac, codec: 'pcm_s16le' }] })).not.toBeNull();
    expect(copiesSourceAudio({ audio: 'aac', container: 'mp4', audioParts: [aac] })).toBeNull();
    const none = assembleArgs({ plan: single, piecesList: '/p', container: 'mp4', audio: 'none', audioParts: [{ kind: 'silence' }], tempPath: '/t.mp4', audioTrack: null });
    expect(none.args.some((a) => a.startsWith('-c:a'))).toBe(false);
  });
});

describe('output names', () => {
  it('expands the template and keeps names safe', () => {
    const now = new Date(2025, 0, 2, 3, 4, 5);
    expect(expandName('{project}-{range}-{codec} {date} {time}', { project: 'Trip', range: 'marks', codec: 'h264', now })).toBe('Trip-marks-h264 2025-01-02 03-04-05');
    expect(expandName('a/b:c', { project: '', range: '', codec: '', now })).toBe('a-b-c');
    expect(() => expandName('...', { project: '', range: '', codec: '', now })).toThrow(/empty/);
  });

  it('puts the parts and the temporary file beside the output, hidden', () => {
    const t = outputTarget('/videos', 'Trip', 'prores_hq', 7);
    expect(t).toEqual({ finalPath: '/videos/Trip.mov', partsDir: '/videos/.Trip.upframe-parts-7', tempPath: '/videos/.Trip.upframe-partial-7.mov' });
    expect(outputTarget('/videos', 'Frames', 'png', 7).finalPath).toBe('/videos/Frames');
  });
});
