// The quality readout of an enhanced range (a preview, or a whole export), shared by every process. Pure.
// Fidelity compares the enhanced frames, resized back to the source size, with the source frames they stand for;
// stability compares how much the enhanced video changes from frame to frame with how much the source does.
import { z } from 'zod';

const int = z.number().int().nonnegative();

export const QualityReadoutSchema = z.object({
  /** Enhanced frames compared with a source frame (inserted frames have none and are left out of fidelity). */
  comparedFrames: int,
  /** Luma PSNR in dB over the compared frames (from their mean squared error); null when every compared frame
   *  equals its source exactly, i.e. PSNR is infinite. */
  psnrY: z.number().nullable(),
  /** Mean luma SSIM over the compared frames, 0..1 (1: identical). */
  ssimY: z.number(),
  /** Flicker index: the enhanced video's mean absolute luma change per source-frame interval (in levels of 255,
   *  at the output size) minus the same for the source upscaled to the output size. About 0 when the enhancement
   *  adds no temporal noise; positive when it flickers or jitters more than the source. */
  flicker: z.number(),
  /** The two terms of the flicker index. */
  enhancedChange: z.number(),
  sourceChange: z.number(),
  /** Chunk seams inside the range: the mean luma change across a seam against the mean change between two
   *  frames inside chunks (levels of 255 per output frame step). ratio is seam / inside: about 1 when seams do
   *  not show, well above 1 when they jump. Nulls where there is no seam (one chunk) or no inside step. */
  seams: z.object({
    count: int,
    change: z.number().nullable(),
    insideChange: z.number().nullable(),
    ratio: z.number().nullable(),
    /** Output frame (in the enhanced side's numbering) that starts the seam with the largest change. */
    worstFrame: int.nullable(),
  }),
});
export type QualityReadout = z.infer<typeof QualityReadoutSchema>;

/** A range's readout as the viewer and the render queue show it: measured after the frames are ready. */
export const QualityStatusSchema = z.object({
  state: z.enum(['measuring', 'ready', 'failed']),
  readout: QualityReadoutSchema.nullable(),
  /** The figures came from the cache (nothing was measured again). */
  fromCache: z.boolean(),
  /** Why the measurement failed, when it did. */
  message: z.string().nullable(),
});
export type QualityStatus = z.infer<typeof QualityStatusSchema>;
