// Engine parameters the unit tests share, written out independently of any pack so the tests check the packs.
import type { ScheduleSpec } from '../../main/engine/pack/manifest';

/** VEnhancer's noise schedule (ENHANCEMENT.md section 2.4). */
export const VENHANCER_SCHEDULE: ScheduleSpec = {
  type: 'logsnr_cosine_interp',
  trainTimesteps: 1000,
  logsnrMin: -15,
  logsnrMax: 15,
  shiftStart: 2,
  shiftEnd: 4,
  prediction: 'v',
};
