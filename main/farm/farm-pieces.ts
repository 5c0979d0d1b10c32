// What travels through the farm: one BullMQ job per export piece, in a queue named after what the piece needs (the
// engine, and the pack by its hash), so a worker only ever subscribes to the queues it can serve and is never
// handed a piece it cannot render. Job ids are the export's farm key and the piece index: adding a piece twice
// (a resumed or reattached submitter) is a no-op.
import { createHash } from 'node:crypto';
import type { ExportPayload, ExportSource } from '../export/export-job';
import type { ExportPiece } from '../export/plan';
import { CLASSIC_ENGINE_VERSION, DIFFUSION_ENGINE_VERSION } from '../render/variant-key';

/** Changes when the job data or the piece rules change, so old workers and submitters never share queues. */
export const FARM_PROTOCOL = 'upframe-farm-1';
/** Engines of another version would render other pixels: their workers use other queues. */
const ENGINE_VERSIONS = `${CLASSIC_ENGINE_VERSION}.${DIFFUSION_ENGINE_VERSION}`;

/** What a piece needs of a worker: the classic engine only, or one exact pack (by its hash). */
export type Requirement = { kind: 'classic' } | { kind: 'pack'; packId: string; packHash: string };

export function requirementKey(req: Requirement): string {
  return req.kind === 'classic' ? 'classic' : `pack-${req.packHash.slice(0, 32)}`;
}

export function queueName(req: Requirement): string {
  return `${FARM_PROTOCOL}.${ENGINE_VERSIONS}.${requirementKey(req)}`;
}

export function describeRequirement(req: Requirement): string {
  return req.kind === 'classic' ? 'the classic engine' : `pack ${req.packId} (sha256 ${req.packHash.slice(0, 12)}…)`;
}

export function requirementOfSource(source: ExportSource | undefined): Requirement {
  const variant = source?.variant;
  if (!variant || !variant.pack) return { kind: 'classic' };
  return { kind: 'pack', packId: variant.pack.id, packHash: variant.pack.hash };
}

export function requirementOfPiece(payload: ExportPayload, piece: ExportPiece): Requirement {
  const segment = payload.plan.segments[piece.segment];
  return segment.kind === 'clip' ? requirementOfSource(payload.sources[segment.clipId]) : { kind: 'classic' };
}

export function pieceJobId(farmKey: string, index: number): string {
  return `${farmKey}-${index}`;
}

/** The data of one piece job: the whole payload (small: plan, spec, sources) with the piece to encode. */
export type PieceJobData = {
  protocol: typeof FARM_PROTOCOL;
  farmKey: string;
  jobLabel: string;
  pieceIndex: number;
  requirement: Requirement;
  payload: ExportPayload;
};

/** A fresh key for an export's farm job: unique across projects and machines sharing one farm. */
export function newFarmKey(projectPath: string, jobId: number): string {
  const salt = `${projectPath}\n${jobId}\n${Date.now()}\n${Math.random()}`;
  return `x${createHash('sha256').update(salt).digest('hex').slice(0, 16)}`;
}

/** Redis keys beside the queues. */
export const farmKeys = {
  worker: (id: string) => `${FARM_PROTOCOL}:worker:${id}`,
  workerPattern: `${FARM_PROTOCOL}:worker:*`,
  /** Set while an export is cancelled: workers rendering one of its pieces stop. */
  cancelled: (farmKey: string) => `${FARM_PROTOCOL}:cancelled:${farmKey}`,
};
