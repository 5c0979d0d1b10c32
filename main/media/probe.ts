// Reads a media file's facts with ffprobe and refuses, with a message a person can act on, anything Upframe
// cannot enhance: empty, damaged, non-media, audio-only and still-image files.
//
// Rotation convention: ProbeData.rotation is the clockwise angle (0/90/180/270) by which the decoded picture must
// be turned to display it upright, which is exactly what ffmpeg's autorotation applies. A display matrix stores
// the counter-clockwise angle, so rotation = -matrixAngle; the legacy "rotate" tag already stores clockwise degrees.
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../common/api';
import type { ProbeData, Rational } from '../common/model';
import { sampledContentHash } from './content-hash';
import { ToolError, runTool, stderrTail } from './run-process';
import type { MediaFacts } from './types';

const PROBE_TIMEOUT_MS = 60_000;
const COUNT_PACKETS_TIMEOUT_MS = 120_000;
/** Packets sampled from the start of the video stream to decide whether its frame timing is variable. */
const VFR_SAMPLE_PACKETS = 120;
/** How far short of its declared end a video stream's last packet may start (covers long final frames). */
const TRUNCATION_TOLERANCE_SEC = 0.5;

/** The fields of ffprobe's JSON (-show_streams -show_format) that Upframe reads. */
export type FfprobeStream = {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  field_order?: string;
  nb_frames?: string;
  duration?: string;
  channels?: number;
  sample_rate?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
};
export type FfprobeOutput = { streams?: FfprobeStream[]; format?: { format_name?: string; duration?: string } };

/** Stat, probe and fingerprint of one media file; rejects with MEDIA_UNREADABLE for anything Upframe cannot use. */
export async function probeMedia(file: string, ffprobe: string, signal?: AbortSignal): Promise<MediaFacts> {
  const abs = path.resolve(file);
  const info = await statMedia(abs);
  const probe = await readProbeData(abs, info.size, ffprobe, signal);
  const fingerprint = await sampledContentHash(abs, info.size);
  return { path: abs, size: info.size, mtimeMs: info.mtimeMs, fingerprint, probe };
}

/** The ProbeData of a file already stat'ed (size given), with the same refusals as probeMedia. Aborting `signal`
 *  stops the running ffprobe and rejects with its AbortError. */
export async function readProbeData(abs: string, size: number, ffprobe: string, signal?: AbortSignal): Promise<ProbeData> {
  const name = path.basename(abs);
  if (size === 0) throw unreadable(`${name} is empty (0 bytes). Re-export or re-copy the file.`);

  const input = inputUrl(abs);
  let data: FfprobeOutput;
  try {
    const { stdout } = await runTool(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', input], {
      timeoutMs: PROBE_TIMEOUT_MS,
      signal,
    });
    data = JSON.parse(stdout.toString('utf8')) as FfprobeOutput;
  } catch (err) {
    throw await classifyProbeFailure(err, abs, name, ffprobe);
  }

  const format = data.format ?? {};
  const streams = data.streams ?? [];
  const container = format.format_name ?? '';
  if (!data.format || streams.length === 0) throw await notVideoOrDamaged(abs, name, 'ffprobe found no streams in it');
  // ffmpeg's "tty" demuxer renders any text file as ANSI art: a probe that succeeds on a text file.
  if (container === 'tty') {
    throw unreadable(`${name} is not a video file (it is text). Import a video such as .mp4, .mov, .mkv or .webm.`);
  }
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video) {
    if (streams.some((s) => s.codec_type === 'audio')) {
      throw unreadable(`${name} has no video stream. Upframe enhances video; import a file with a video track.`);
    }
    throw unreadable(`${name} is not a video file (it holds no video stream). Import a video such as .mp4, .mov, .mkv or .webm.`);
  }
  const durationSec = firstFinite(format.duration, video.duration) ?? 0;
  // An image codec is a still only with one frame or no duration: MJPEG/PNG streams in AVI or MKV are real video.
  const singleImage = isImageCodec(video.codec_name) && (video.nb_frames === '1' || durationSec === 0);
  if (isImageContainer(container) || singleImage) {
    throw unreadable(
      `${name} is a still image, not a video. Upframe enhances video; import a video file (turn an image sequence into a video first).`,
    );
  }
  if (!video.width || !video.height) throw damaged(name, 'its video stream has no picture size');

  const videoEndSec = firstFinite(video.duration) ?? parseClock(video.tags?.DURATION) ?? durationSec;
  const [firstFrame, packetTimes] = await Promise.all([
    decodeFirstFrame(ffprobe, input, video.index, name, signal),
    samplePacketTimes(ffprobe, input, video.index, name, signal),
    checkEndIsPresent(ffprobe, input, video.index, name, videoEndSec, signal),
  ]);
  if (!firstFrame) throw damaged(name, 'its first video frame cannot be decoded');

  const avg = parseRational(video.avg_frame_rate);
  const real = parseRational(video.r_frame_rate);
  const variableFrameRate = isVariableFrameRate(packetTimes, avg, real);
  const fps = chooseFrameRate(avg, real, variableFrameRate);
  if (!fps) throw damaged(name, 'its video stream declares no frame rate');

  let frameCount = positiveInt(video.nb_frames);
  if (frameCount === null) frameCount = await countPackets(ffprobe, input, video.index, signal);
  if (frameCount === null) frameCount = Math.round((durationSec * fps.num) / fps.den);

  const rotation = rotationOf(video);
  const quarterTurn = rotation === 90 || rotation === 270;
  return {
    container,
    durationSec,
    videoCodec: video.codec_name ?? 'unknown',
    fps,
    variableFrameRate,
    interlaced: isInterlacedFieldOrder(video.field_order),
    frameCount,
    width: video.width,
    height: video.height,
    rotation,
    displayWidth: quarterTurn ? video.height : video.width,
    displayHeight: quarterTurn ? video.width : video.height,
    pixelFormat: video.pix_fmt ?? 'unknown',
    bitDepth: bitDepthOf(video.bits_per_raw_sample, video.pix_fmt),
    audio: streams
      .filter((s) => s.codec_type === 'audio')
      .map((s) => ({
        index: s.index,
        codec: s.codec_name ?? 'unknown',
        channels: s.channels ?? 0,
        sampleRate: positiveInt(s.sample_rate) ?? 0,
      })),
  };
}

/** ffmpeg reads "a:b.mp4" as protocol "a"; the file: prefix makes any path a plain file. */
export function inputUrl(absPath: string): string {
  return `file:${absPath}`;
}

/** Stats a file to import, turning the usual failures into messages. */
export async function statMedia(abs: string): Promise<{ size: number; mtimeMs: number }> {
  const name = path.basename(abs);
  try {
    const info = await stat(abs);
    if (!info.isFile()) throw unreadable(`${name} is not a file (${abs}). Choose a video file.`);
    return { size: info.size, mtimeMs: info.mtimeMs };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw unreadable(`${name} was not found at ${abs}. Check that the file exists and the drive is connected.`);
    if (code === 'EACCES' || code === 'EPERM') throw unreadable(`${name} cannot be read: permission denied (${abs}). Allow reading the file and try again.`);
    throw err;
  }
}

// ---- Failure classification -------------------------------------------------------------------------------------

function unreadable(message: string): ApiError {
  return new ApiError('MEDIA_UNREADABLE', message);
}

function damaged(name: string, detail: string): ApiError {
  return unreadable(
    `${name} is damaged or incomplete (${detail}). If it is still being copied or exported, wait for that to finish; otherwise re-export or re-copy the file.`,
  );
}

async function classifyProbeFailure(err: unknown, abs: string, name: string, ffprobe: string): Promise<Error> {
  if (err instanceof ToolError && err.failure === 'spawn') {
    return new ApiError('FFMPEG_MISSING', `ffprobe could not be started (${ffprobe}): ${err.message}`);
  }
  if (err instanceof ToolError && err.failure === 'exit') {
    return notVideoOrDamaged(abs, name, readableToolError(err.stderr) || 'ffprobe could not read it');
  }
  if (err instanceof SyntaxError) return damaged(name, 'ffprobe returned unreadable output');
  return err instanceof Error ? err : new Error(String(err));
}

/** ffmpeg's last error lines without the "[demuxer @ 0x...]" and "file:...: " noise, on one line. */
function readableToolError(stderr: string): string {
  return stderrTail(stderr, 2)
    .split('\n')
    .map((line) => line.replace(/^\[[^\]]*\]\s*/, '').replace(/^file:.*?: /, ''))
    .join('; ');
}

/**
 * ffprobe fails the same way on a text file named .mp4 and on a half-copied mp4, so the file's own signature
 * decides: a known container signature means a media file that is damaged, anything else is not media at all.
 */
async function notVideoOrDamaged(abs: string, name: string, detail: string): Promise<ApiError> {
  const head = await readHead(abs, 512);
  if (hasMediaSignature(head)) return damaged(name, detail);
  return unreadable(
    `${name} is not a video file (its contents are not in any media format ffmpeg knows). Import a video such as .mp4, .mov, .mkv or .webm.`,
  );
}

async function readHead(abs: string, bytes: number): Promise<Buffer> {
  const handle = await open(abs, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const ISO_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'uuid', 'styp', 'sidx', 'moof']);

export function hasMediaSignature(head: Buffer): boolean {
  const ascii = (from: number, to: number) => head.subarray(from, to).toString('latin1');
  if (head.length >= 8 && ISO_BOXES.has(ascii(4, 8))) return true; // MP4 / MOV / 3GP
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return true; // Matroska / WebM (EBML)
  if (['RIFF', 'OggS', 'FORM'].includes(ascii(0, 4))) return true; // AVI/WAV, Ogg, AIFF
  if (ascii(0, 3) === 'FLV') return true;
  if (head.length >= 4 && head.readUInt32BE(0) === 0x3026b275) return true; // ASF / WMV
  if (head.length >= 4 && head.readUInt32BE(0) === 0x060e2b34) return true; // MXF
  if (head.length >= 4 && (head.readUInt32BE(0) === 0x000001ba || head.readUInt32BE(0) === 0x000001b3)) return true; // MPEG-PS / ES
  if (head.length >= 4 && (head.readUInt32BE(0) === 0x00000001 || head.readUIntBE(0, 3) === 0x000001)) return true; // H.264/HEVC Annex B
  if (head.length > 188 && head[0] === 0x47 && head[188] === 0x47) return true; // MPEG-TS
  return false;
}

function isImageContainer(format: string): boolean {
  return format.split(',').some((f) => f === 'image2' || f.endsWith('_pipe'));
}

function isImageCodec(codec: string | undefined): boolean {
  return ['png', 'mjpeg', 'jpegls', 'bmp', 'tiff', 'webp', 'gif', 'jpeg2000', 'ppm', 'pgm', 'exr', 'dpx'].includes(codec ?? '');
}

// ---- Sampling ---------------------------------------------------------------------------------------------------

/** Decodes the first frame of the video stream: a probe can succeed on a file whose pictures are unreadable. */
async function decodeFirstFrame(ffprobe: string, input: string, streamIndex: number, name: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const { stdout } = await runTool(
      ffprobe,
      ['-v', 'error', '-select_streams', String(streamIndex), '-read_intervals', '%+#1', '-show_entries', 'frame=width,height', '-of', 'json', input],
      { timeoutMs: PROBE_TIMEOUT_MS, signal },
    );
    const frames = (JSON.parse(stdout.toString('utf8')) as { frames?: Array<{ width?: number }> }).frames ?? [];
    return frames.some((f) => (f.width ?? 0) > 0);
  } catch (err) {
    if (err instanceof ToolError && err.failure === 'exit') throw damaged(name, readableToolError(err.stderr) || 'its first video frame cannot be decoded');
    throw err;
  }
}

/** Presentation times of the first packets of the video stream, in display order. */
async function samplePacketTimes(ffprobe: string, input: string, streamIndex: number, name: string, signal?: AbortSignal): Promise<number[]> {
  try {
    const { stdout } = await runTool(
      ffprobe,
      ['-v', 'error', '-select_streams', String(streamIndex), '-read_intervals', `%+#${VFR_SAMPLE_PACKETS}`, '-show_entries', 'packet=pts_time', '-of', 'json', input],
      { timeoutMs: PROBE_TIMEOUT_MS, signal },
    );
    const packets = (JSON.parse(stdout.toString('utf8')) as { packets?: Array<{ pts_time?: string }> }).packets ?? [];
    return packets
      .map((p) => Number(p.pts_time))
      .filter((t) => Number.isFinite(t))
      .sort((a, b) => a - b);
  } catch (err) {
    if (err instanceof ToolError && err.failure === 'exit') throw damaged(name, readableToolError(err.stderr) || 'its packets cannot be read');
    throw err;
  }
}

/**
 * A file cut short (half-copied, export interrupted) often still probes, because its header is complete: read the
 * packets of its last second (demuxing only) and require them to reach the stream's declared end.
 */
async function checkEndIsPresent(
  ffprobe: string,
  input: string,
  streamIndex: number,
  name: string,
  endSec: number,
  signal?: AbortSignal,
): Promise<void> {
  if (!(endSec > 0)) return; // No declared end to compare with (raw streams): reading all packets would prove nothing.
  const from = Math.max(0, endSec - 1);
  let times: number[];
  let stderr: string;
  try {
    const out = await runTool(
      ffprobe,
      ['-v', 'error', '-select_streams', String(streamIndex), '-read_intervals', `${from.toFixed(6)}%`, '-show_entries', 'packet=pts_time', '-of', 'json', input],
      { timeoutMs: PROBE_TIMEOUT_MS, signal },
    );
    stderr = out.stderr;
    const packets = (JSON.parse(out.stdout.toString('utf8')) as { packets?: Array<{ pts_time?: string }> }).packets ?? [];
    times = packets.map((p) => Number(p.pts_time)).filter((t) => Number.isFinite(t));
  } catch (err) {
    if (err instanceof ToolError && err.failure === 'exit') throw damaged(name, readableToolError(err.stderr) || 'its end cannot be read');
    throw err;
  }
  if (/partial file|ended prematurely|truncat/i.test(stderr)) throw damaged(name, readableToolError(stderr));
  const last = times.length ? Math.max(...times) : -Infinity;
  if (last < endSec - TRUNCATION_TOLERANCE_SEC) {
    throw damaged(name, `its video stops at ${Math.max(0, last).toFixed(2)} s of ${endSec.toFixed(2)} s`);
  }
}

/** Exact frame count where the container has no nb_frames (Matroska/WebM): demuxes the stream, no decoding. */
async function countPackets(ffprobe: string, input: string, streamIndex: number, signal?: AbortSignal): Promise<number | null> {
  const { stdout } = await runTool(
    ffprobe,
    ['-v', 'error', '-select_streams', String(streamIndex), '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'json', input],
    { timeoutMs: COUNT_PACKETS_TIMEOUT_MS, signal },
  );
  const streams = (JSON.parse(stdout.toString('utf8')) as { streams?: Array<{ nb_read_packets?: string }> }).streams ?? [];
  return positiveInt(streams[0]?.nb_read_packets);
}

// ---- Interpretation ---------------------------------------------------------------------------------------------

/**
 * VFR when the sampled frame intervals vary beyond rounding noise (a tenth of the typical interval, at least 2 ms
 * so millisecond-timestamp containers at high rates do not trip it). r_frame_rate differing from avg_frame_rate
 * only decides when too few packets were sampled: on its own it misfires (interlaced streams report the field rate).
 */
export function isVariableFrameRate(sortedPts: number[], avg: Rational | null, real: Rational | null): boolean {
  const deltas: number[] = [];
  for (let i = 1; i < sortedPts.length; i++) {
    const d = sortedPts[i] - sortedPts[i - 1];
    if (d > 0) deltas.push(d);
  }
  if (deltas.length >= 3) {
    const median = [...deltas].sort((a, b) => a - b)[Math.floor(deltas.length / 2)];
    const tolerance = Math.max(median * 0.1, 0.002);
    return deltas.some((d) => Math.abs(d - median) > tolerance);
  }
  if (!avg || !real) return false;
  const a = avg.num / avg.den;
  const r = real.num / real.den;
  return Math.abs(a - r) / r > 0.01;
}

/**
 * The rate a video stream (from ffprobe -show_streams) is conformed to when its frames come at a variable rate, as
 * probeMedia decides it (its `fps` where `variableFrameRate`); undefined for a constant-rate stream. Only the first
 * packets are read (one ffprobe): the engines call this for every job, and probeMedia's other checks are the
 * import's.
 */
export async function variableRateOfStream(
  ffprobe: string,
  file: string,
  stream: Pick<FfprobeStream, 'index' | 'avg_frame_rate' | 'r_frame_rate'>,
): Promise<Rational | undefined> {
  const abs = path.resolve(file);
  const packetTimes = await samplePacketTimes(ffprobe, inputUrl(abs), stream.index, path.basename(abs));
  const avg = parseRational(stream.avg_frame_rate);
  const real = parseRational(stream.r_frame_rate);
  return isVariableFrameRate(packetTimes, avg, real) ? (chooseFrameRate(avg, real, true) ?? undefined) : undefined;
}

/** The average rate, but the exact r_frame_rate when the stream is constant and both agree (avg is often ragged). */
function chooseFrameRate(avg: Rational | null, real: Rational | null, vfr: boolean): Rational | null {
  if (real && avg && !vfr && Math.abs(avg.num / avg.den - real.num / real.den) / (real.num / real.den) < 0.01) return real;
  return avg ?? real;
}

export function parseRational(text: string | undefined): Rational | null {
  const m = /^(\d+)\/(\d+)$/.exec(text ?? '');
  if (!m) return null;
  const num = Number(m[1]);
  const den = Number(m[2]);
  if (num <= 0 || den <= 0) return null;
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function rotationOf(stream: Pick<FfprobeStream, 'side_data_list' | 'tags'>): number {
  const matrix = stream.side_data_list?.find((s) => s.side_data_type === 'Display Matrix' && typeof s.rotation === 'number');
  let clockwise: number;
  if (matrix) clockwise = -(matrix.rotation as number);
  else if (stream.tags?.rotate !== undefined && Number.isFinite(Number(stream.tags.rotate))) clockwise = Number(stream.tags.rotate);
  else return 0;
  const quarter = Math.round(clockwise / 90);
  return (((quarter % 4) + 4) % 4) * 90;
}

export function bitDepthOf(bitsPerRawSample: string | undefined, pixFmt: string | undefined): number {
  const raw = positiveInt(bitsPerRawSample);
  if (raw !== null) return raw;
  const fmt = pixFmt ?? '';
  const bits = /(\d+)(le|be)$/.exec(fmt); // yuv420p10le -> 10, p010le -> 10, gray16le -> 16
  if (!bits) return 8;
  const n = Number(bits[1]);
  // Packed RGB names count bits per pixel, not per component (rgb48le, rgba64le, bgr565le).
  if (/^(rgb|bgr)a?\d+/.test(fmt)) return n >= 48 ? 16 : 8;
  return n;
}

function positiveInt(text: string | number | undefined): number | null {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** Matroska's per-stream DURATION tag, "HH:MM:SS.nnnnnnnnn". */
function parseClock(text: string | undefined): number | null {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(text ?? '');
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

function firstFinite(...texts: Array<string | undefined>): number | null {
  for (const t of texts) {
    const n = Number(t);
    if (t !== undefined && Number.isFinite(n) && n >= 0) return n;
  }
  return null;
}

/** ffprobe's field_order: tt/bb (fields in display order) and tb/bt (swapped) are interlaced; progressive and
 *  unknown are not (an unflagged interlaced file can still be deinterlaced with the clip's option set to on). */
export function isInterlacedFieldOrder(fieldOrder: string | undefined): boolean {
  return fieldOrder === 'tt' || fieldOrder === 'bb' || fieldOrder === 'tb' || fieldOrder === 'bt';
}
