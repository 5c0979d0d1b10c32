// The export codecs: what each writes (container, encoder) and the encoder arguments for a quality. Hardware
// encoders are offered only when the installed ffmpeg lists them (`ffmpeg -encoders`).
import type { ExportCodec, ExportCodecId, ExportSpec } from '../common/render-model';
import { runTool } from '../media/run-process';

type Quality = ExportSpec['quality'];

export type CodecDefinition = {
  id: ExportCodecId;
  label: string;
  container: 'mp4' | 'mov' | 'png';
  hardware: boolean;
  /** ffmpeg encoder name, as `ffmpeg -encoders` lists it. */
  encoder: string;
  qualityModes: Array<'crf' | 'bitrate'>;
  /** Encoder arguments (after -c:v), pixel format included. */
  args(quality: Quality): string[];
  /** Filters the encoder needs at the end of the chain (hardware upload), if any. */
  filterSuffix?: string;
  /** Input options the encoder needs (a hardware device), if any. */
  globalArgs?: string[];
};

function rate(quality: Quality, crfFlag: string[] | null): string[] {
  if (quality.mode === 'bitrate') return ['-b:v', `${quality.kbps}k`];
  return crfFlag ? [...crfFlag, String(quality.crf)] : [];
}

const DEFINITIONS: CodecDefinition[] = [
  {
    id: 'h264',
    label: 'MP4 H.264',
    container: 'mp4',
    hardware: false,
    encoder: 'libx264',
    qualityModes: ['crf', 'bitrate'],
    args: (q) => ['-c:v', 'libx264', '-preset', 'medium', ...rate(q, ['-crf']), '-pix_fmt', 'yuv420p'],
  },
  {
    id: 'h265',
    label: 'MP4 H.265',
    container: 'mp4',
    hardware: false,
    encoder: 'libx265',
    qualityModes: ['crf', 'bitrate'],
    // hvc1 so Apple players accept the file; x265's banner and stats would flood stderr.
    args: (q) => ['-c:v', 'libx265', '-preset', 'medium', ...rate(q, ['-crf']), '-pix_fmt', 'yuv420p', '-tag:v', 'hvc1', '-x265-params', 'log-level=error'],
  },
  {
    id: 'prores_hq',
    label: 'MOV ProRes 422 HQ',
    container: 'mov',
    hardware: false,
    encoder: 'prores_ks',
    // ProRes has fixed quality profiles: neither CRF nor bitrate applies.
    qualityModes: [],
    args: () => ['-c:v', 'prores_ks', '-profile:v', '3', '-vendor', 'apl0', '-pix_fmt', 'yuv422p10le'],
  },
  {
    id: 'png',
    label: 'PNG sequence',
    container: 'png',
    hardware: false,
    encoder: 'png',
    qualityModes: [],
    args: () => ['-c:v', 'png', '-pix_fmt', 'rgb24'],
  },
  hardware('h264_nvenc', 'MP4 H.264 (NVIDIA NVENC)', (q) => ['-c:v', 'h264_nvenc', '-preset', 'p5', ...(q.mode === 'crf' ? ['-rc', 'vbr', '-cq', String(q.crf), '-b:v', '0'] : rate(q, null)), '-pix_fmt', 'yuv420p']),
  hardware('hevc_nvenc', 'MP4 H.265 (NVIDIA NVENC)', (q) => ['-c:v', 'hevc_nvenc', '-preset', 'p5', ...(q.mode === 'crf' ? ['-rc', 'vbr', '-cq', String(q.crf), '-b:v', '0'] : rate(q, null)), '-pix_fmt', 'yuv420p', '-tag:v', 'hvc1']),
  hardware('h264_qsv', 'MP4 H.264 (Intel Quick Sync)', (q) => ['-c:v', 'h264_qsv', ...rate(q, ['-global_quality']), '-pix_fmt', 'nv12']),
  hardware('hevc_qsv', 'MP4 H.265 (Intel Quick Sync)', (q) => ['-c:v', 'hevc_qsv', ...rate(q, ['-global_quality']), '-pix_fmt', 'nv12', '-tag:v', 'hvc1']),
  {
    ...hardware('h264_vaapi', 'MP4 H.264 (VA-API)', (q) => ['-c:v', 'h264_vaapi', ...rate(q, ['-qp'])]),
    filterSuffix: 'format=nv12,hwupload',
    globalArgs: ['-vaapi_device', '/dev/dri/renderD128'],
  },
  {
    ...hardware('hevc_vaapi', 'MP4 H.265 (VA-API)', (q) => ['-c:v', 'hevc_vaapi', ...rate(q, ['-qp']), '-tag:v', 'hvc1']),
    filterSuffix: 'format=nv12,hwupload',
    globalArgs: ['-vaapi_device', '/dev/dri/renderD128'],
  },
  { ...hardware('h264_videotoolbox', 'MP4 H.264 (VideoToolbox)', (q) => ['-c:v', 'h264_videotoolbox', ...rate(q, ['-q:v']), '-pix_fmt', 'yuv420p']) },
  { ...hardware('hevc_videotoolbox', 'MP4 H.265 (VideoToolbox)', (q) => ['-c:v', 'hevc_videotoolbox', ...rate(q, ['-q:v']), '-pix_fmt', 'yuv420p', '-tag:v', 'hvc1']) },
  { ...hardware('h264_amf', 'MP4 H.264 (AMD AMF)', (q) => ['-c:v', 'h264_amf', ...(q.mode === 'crf' ? ['-rc', 'cqp', '-qp_i', String(q.crf), '-qp_p', String(q.crf)] : rate(q, null)), '-pix_fmt', 'yuv420p']) },
  { ...hardware('hevc_amf', 'MP4 H.265 (AMD AMF)', (q) => ['-c:v', 'hevc_amf', ...(q.mode === 'crf' ? ['-rc', 'cqp', '-qp_i', String(q.crf), '-qp_p', String(q.crf)] : rate(q, null)), '-pix_fmt', 'yuv420p', '-tag:v', 'hvc1']) },
];

function hardware(id: ExportCodecId, label: string, args: (q: Quality) => string[]): CodecDefinition {
  return { id, label, container: 'mp4', hardware: true, encoder: id, qualityModes: ['crf', 'bitrate'], args };
}

export function codecDefinition(id: ExportCodecId): CodecDefinition {
  const found = DEFINITIONS.find((d) => d.id === id);
  if (!found) throw new Error(`Unknown export codec ${id}`);
  return found;
}

/** Encoder names in `ffmpeg -hide_banner -encoders` output (lines like " V....D libx264  libx264 H.264 ..."). */
export function parseEncoderList(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*[VAS][A-Z.]{5}\s+(\S+)/.exec(line);
    if (match && match[1] !== '=') names.add(match[1]);
  }
  return names;
}

/** The codecs this ffmpeg lists, each with whether its trial encode ran (verdicts from encoder-probe.ts; without
 *  them, listed means available) and, when it cannot be used, why. */
export function listCodecs(encoders: Set<string>, verdicts?: Map<string, { ok: boolean; reason: string | null }>): ExportCodec[] {
  return DEFINITIONS.map((d) => {
    const listed = encoders.has(d.encoder);
    const verdict = listed ? verdicts?.get(d.encoder) : undefined;
    const available = listed && (verdict?.ok ?? true);
    return {
      id: d.id,
      label: d.label,
      container: d.container,
      hardware: d.hardware,
      available,
      reason: !listed ? `This ffmpeg build has no ${d.encoder} encoder.` : available ? null : (verdict?.reason ?? null),
      qualityModes: d.qualityModes,
    };
  });
}

/** The encoders worth a trial encode: those this ffmpeg lists. */
export function listedDefinitions(encoders: Set<string>): CodecDefinition[] {
  return DEFINITIONS.filter((d) => encoders.has(d.encoder));
}

const encoderLists = new Map<string, Promise<Set<string>>>();

/** The installed ffmpeg's encoders, asked once per ffmpeg binary. */
export function installedEncoders(ffmpeg: string): Promise<Set<string>> {
  let list = encoderLists.get(ffmpeg);
  if (!list) {
    list = runTool(ffmpeg, ['-hide_banner', '-encoders'], { timeoutMs: 30_000 }).then((r) => parseEncoderList(r.stdout.toString('utf8')));
    // A failed listing is not remembered: the next call asks again (ffmpeg may have been installed meanwhile).
    list.catch(() => encoderLists.delete(ffmpeg));
    encoderLists.set(ffmpeg, list);
  }
  return list;
}
