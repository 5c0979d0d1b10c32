// ffmpeg command lines of an export: one per piece (its frames from the source, from cached chunk files, or black),
// and the assembly (the pieces joined by stream copy, plus one audio track for the whole range). Pure.
import type { Rational } from '../common/model';
import type { ExportRateConversion, ExportSpec } from '../common/render-model';
import { inputUrl } from '../media/probe';
import { frameBlendFilter, motionInterpolationFilter } from '../media/rate-filters';
import type { CodecDefinition } from './codecs';
import type { ExportPlan } from './plan';

/** Source frames decoded before a piece so temporal filters (denoise, deflicker, interpolation) see the same
 *  neighbours whether the piece is encoded alone or not. */
export const CONTEXT_FRAMES = 6;
export const AUDIO_RATE = 48000;
const LANCZOS = 'lanczos+accurate_rnd+full_chroma_int';

export type PieceFrames =
  | { kind: 'gap' }
  /** Decoded from the source file and passed through the classic filter chain. */
  | { kind: 'classic'; path: string; sourceFps: Rational; filters: string[]; width: number; height: number; fps: Rational; mediaStartSec: number; mediaEndSec: number }
  /** Decoded from enhanced chunk files (concat list); chunkStartSec: media time of the first file's first frame. */
  | { kind: 'chunks'; listFile: string; chunkStartSec: number; width: number; height: number; fps: Rational; mediaStartSec: number };

export type PieceOutput = {
  width: number;
  height: number;
  fps: Rational;
  frames: number;
  codec: CodecDefinition;
  quality: ExportSpec['quality'];
  /** How frames at another rate than `fps` reach it. */
  rateConversion: ExportRateConversion;
  /** A video file, or for PNG a folder with the frame number of the piece's first frame (counted from 1). */
  target: { kind: 'file'; path: string } | { kind: 'frames'; dir: string; startNumber: number };
};

export const PNG_PATTERN = 'frame-%08d.png';

export function fpsText(fps: Rational): string {
  return `${fps.num}/${fps.den}`;
}

/** Timescale of MP4/MOV video tracks: a multiple of the rate's numerator, so every frame lasts whole ticks and
 *  pieces joined by stream copy keep exact timestamps. */
export function trackTimescale(fps: Rational): number {
  return fps.num * Math.max(1, Math.ceil(10000 / fps.num));
}

/** The filter that brings frames at `from` to `to` by blending or motion compensation; null where the rates are
 *  equal or the nearest frame is asked for (the fps filter alone does that). */
export function rateConverter(from: Rational, to: Rational, conversion: ExportRateConversion): string | null {
  if (conversion === 'nearest' || from.num * to.den === to.num * from.den) return null;
  if (conversion === 'blend') return frameBlendFilter(fpsText(to));
  return motionInterpolationFilter(fpsText(to));
}

export function pieceArgs(frames: PieceFrames, out: PieceOutput): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-nostats', '-progress', 'pipe:1', '-stats_period', '0.5'];
  args.push(...(out.codec.globalArgs ?? []));
  const chain: string[] = [];
  if (frames.kind === 'gap') {
    args.push('-f', 'lavfi', '-i', `color=c=black:s=${out.width}x${out.height}:r=${fpsText(out.fps)}`);
  } else {
    let relativeStart: number;
    if (frames.kind === 'classic') {
      const fps = frames.sourceFps.num / frames.sourceFps.den;
      const first = Math.max(0, Math.floor(frames.mediaStartSec * fps + 1e-6) - CONTEXT_FRAMES);
      const seekSec = first / fps;
      // Seek half a frame early so the context frame is never dropped by timestamp rounding; the chain then
      // restarts time at that frame.
      if (first > 0) args.push('-ss', (seekSec - 0.5 / fps).toFixed(6));
      args.push('-t', (frames.mediaEndSec - seekSec + (CONTEXT_FRAMES + 2) / fps).toFixed(6));
      args.push('-i', inputUrl(frames.path));
      chain.push('setpts=PTS-STARTPTS', ...frames.filters);
      relativeStart = frames.mediaStartSec - seekSec;
    } else {
      args.push('-f', 'concat', '-safe', '0', '-i', frames.listFile);
      chain.push('setpts=PTS-STARTPTS');
      relativeStart = frames.mediaStartSec - frames.chunkStartSec;
    }
    // Clones of the last frame cover a piece that ends at the media's end (rounding of the last frame's time);
    // then the piece's first frame is put at time 0 and the fps filter takes the frame showing at each output time.
    chain.push('tpad=stop_mode=clone:stop=4', 'settb=AVTB', `setpts=PTS-${relativeStart.toFixed(6)}/TB`);
    // Another rate is converted on the output's own time grid (multiples of 1 / fps from the piece's start, which
    // both filters keep), then the fps filter takes exactly the piece's frames from time 0.
    const converter = rateConverter(frames.fps, out.fps, out.rateConversion);
    if (converter) chain.push(converter);
    chain.push(`fps=fps=${fpsText(out.fps)}:start_time=0:round=near`);
    if (frames.width !== out.width || frames.height !== out.height) {
      chain.push(`scale=${out.width}:${out.height}:force_original_aspect_ratio=decrease:flags=${LANCZOS}`);
      chain.push(`pad=${out.width}:${out.height}:(ow-iw)/2:(oh-ih)/2:color=black`);
    }
  }
  chain.push('setsar=1');
  if (out.codec.filterSuffix) chain.push(out.codec.filterSuffix);
  args.push('-vf', chain.join(','), '-frames:v', String(out.frames), '-an', '-sn', '-dn');
  args.push(...out.codec.args(out.quality));
  if (out.target.kind === 'frames') {
    args.push('-f', 'image2', '-start_number', String(out.target.startNumber), `${out.target.dir}/${PNG_PATTERN}`);
  } else {
    args.push('-video_track_timescale', String(trackTimescale(out.fps)), '-f', out.codec.container, out.target.path);
  }
  return args;
}

/** What each segment contributes to the audio track. */
export type AudioPart = { kind: 'silence' } | { kind: 'source'; path: string; mediaStartSec: number; codec: string };

/** Audio codecs each container takes unchanged; anything else is encoded to AAC. */
const COPYABLE_AUDIO: Record<'mp4' | 'mov', ReadonlySet<string>> = {
  mp4: new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac']),
  mov: new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac', 'pcm_s16le', 'pcm_s24le', 'pcm_s16be', 'pcm_s24be']),
};

export type AssembleInput = {
  plan: Pick<ExportPlan, 'fps' | 'frames' | 'segments'>;
  /** The concat demuxer list of the pieces. */
  piecesList: string;
  container: 'mp4' | 'mov';
  audio: ExportSpec['audio'];
  /** One per plan segment. */
  audioParts: AudioPart[];
  tempPath: string;
};

/** Samples from the range's start to output frame `frame`: one rounding per boundary, so parts never drift. */
function samplesAt(frame: number, fps: Rational): number {
  return Math.round((frame * fps.den * AUDIO_RATE) / fps.num);
}

/** Whether the audio is the source's packets unchanged: one clip's audio in a container that takes its codec. */
export function copiesSourceAudio(input: Pick<AssembleInput, 'audio' | 'audioParts' | 'container'>): AudioPart | null {
  const single = input.audioParts.length === 1 ? input.audioParts[0] : null;
  return input.audio === 'copy' && single?.kind === 'source' && COPYABLE_AUDIO[input.container].has(single.codec) ? single : null;
}

/** The AAC track for the whole range (each segment's audio trimmed and placed, silence elsewhere, exactly as long
 *  as the video), written to its own file so it is encoded while the pieces are. */
export function audioTrackArgs(input: Pick<AssembleInput, 'plan' | 'audioParts'>, outFile: string): string[] {
  const { plan } = input;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-nostats'];
  const labels: string[] = [];
  const graph: string[] = [];
  let inputIndex = 0;
  plan.segments.forEach((segment, i) => {
    const samples = samplesAt(segment.outputEnd, plan.fps) - samplesAt(segment.outputStart, plan.fps);
    const part = input.audioParts[i];
    const label = `a${i}`;
    labels.push(`[${label}]`);
    if (part.kind === 'source') {
      args.push('-ss', part.mediaStartSec.toFixed(6), '-t', (samples / AUDIO_RATE + 0.1).toFixed(6), '-i', inputUrl(part.path));
      graph.push(
        `[${inputIndex}:a:0]aresample=${AUDIO_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end_sample=${samples},asetpts=N/SR/TB[${label}]`,
      );
      inputIndex += 1;
    } else {
      graph.push(`anullsrc=r=${AUDIO_RATE}:cl=stereo,atrim=end_sample=${samples},aformat=sample_fmts=fltp:channel_layouts=stereo[${label}]`);
    }
  });
  graph.push(`${labels.join('')}concat=n=${labels.length}:v=0:a=1[aout]`);
  args.push('-filter_complex', graph.join(';'), '-map', '[aout]', '-c:a', 'aac', '-b:a', '192k', '-f', 'mp4', outFile);
  return args;
}

/** Joins the pieces by stream copy with the audio: none, the source's packets (copy), or the AAC track file. */
export function assembleArgs(input: AssembleInput & { audioTrack: string | null }): { args: string[]; audioNote: string } {
  const { plan } = input;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-nostats'];
  args.push('-f', 'concat', '-safe', '0', '-i', input.piecesList);
  const videoSec = (plan.frames * plan.fps.den) / plan.fps.num;
  const out = ['-map', '0:v:0', '-c:v', 'copy'];
  let audioNote: string;
  const copied = copiesSourceAudio(input);
  if (input.audio === 'none') {
    audioNote = 'No audio';
  } else if (copied?.kind === 'source') {
    // Cut at packet boundaries: within one audio frame of the video's ends.
    args.push('-ss', copied.mediaStartSec.toFixed(6), '-t', videoSec.toFixed(6), '-i', inputUrl(copied.path));
    out.push('-map', '1:a:0', '-c:a', 'copy', '-t', videoSec.toFixed(6));
    audioNote = `Audio copied (${copied.codec})`;
  } else {
    if (!input.audioTrack) throw new Error('The AAC audio track was not encoded before the assembly.');
    args.push('-i', input.audioTrack);
    out.push('-map', '1:a:0', '-c:a', 'copy');
    audioNote =
      input.audio === 'copy' ? 'Audio encoded to AAC (the range joins several parts, or the container cannot take the source codec)' : 'Audio encoded to AAC';
  }
  args.push(...out, '-movflags', '+faststart', '-f', input.container, input.tempPath);
  return { args, audioNote };
}

/** A concat demuxer list naming the files (absolute paths, quoted). */
export function concatList(files: string[]): string {
  return files.map((f) => `file '${f.replace(/'/g, "'\\''")}'`).join('\n') + '\n';
}
