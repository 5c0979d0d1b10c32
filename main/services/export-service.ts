// Export and the render queue (issue 5): the API's handlers over the ExportQueue of main/export.
import path from 'node:path';
import { ApiError } from '../common/api-error';
import { installedEncoders, listCodecs, listedDefinitions } from '../export/codecs';
import { EncoderProbeCache } from '../export/encoder-probe';
import { estimatePlanSeconds, planSpec, rateChangesOf } from '../export/export-job';
import { ExportQueue } from '../export/export-queue';
import { FarmError } from '../farm/farm-connection';
import { probeFarm } from '../farm/farm-probe';
import type { Handlers, ServiceContext } from './context';

type ExportMethods = 'export.codecs' | 'export.summary' | 'export.start' | 'export.list' | 'export.pause' | 'export.resume' | 'export.cancel' | 'export.remove' | 'farm.status';

/** A farm that cannot be reached is the person's input to fix (the URL, the server): BAD_REQUEST with the reason. */
async function farmStatus(url: string) {
  try {
    return await probeFarm(url);
  } catch (error) {
    if (error instanceof FarmError) throw new ApiError('BAD_REQUEST', error.message);
    throw error;
  }
}

export function exportHandlers(ctx: ServiceContext): Pick<Handlers, ExportMethods> {
  const probes = new EncoderProbeCache(path.join(ctx.userDataDir, 'cache', 'encoder-probes.json'), ctx.log);
  const queue = new ExportQueue({
    probes,
    currentStore: ctx.currentStore,
    requireStore: ctx.requireStore,
    ffmpeg: ctx.requireFfmpeg,
    renderer: ctx.chunkRenderer,
    emit: ctx.emit,
    log: ctx.log,
  });
  // A closing project (another opens, the app quits) pauses its running export; it resumes from its last piece.
  ctx.onProjectClosing(() => queue.stopRunning());
  // An opened project's interrupted exports are paused (resumable) and its queued ones start, without waiting for
  // the render queue to be looked at.
  ctx.onProjectOpened((store) => queue.recover(store));
  // jobs.cancel on an export goes through its queue, which stops its work and removes its parts.
  ctx.onJobCancel('export', async (jobId) => {
    await queue.cancel(jobId);
    return true;
  });
  return {
    'export.codecs': async () => {
      const { ffmpeg } = ctx.requireFfmpeg();
      const encoders = await installedEncoders(ffmpeg);
      return listCodecs(encoders, await probes.verdicts(ffmpeg, listedDefinitions(encoders)));
    },
    'export.summary': ({ range, conform }) =>
      ctx.queue.run(async () => {
        const renderer = ctx.chunkRenderer();
        const { plan, sources } = await planSpec(ctx.requireStore(), renderer, { range, conform });
        return {
          width: plan.width,
          height: plan.height,
          fps: plan.fps,
          frames: plan.frames,
          durationSec: (plan.frames * plan.fps.den) / plan.fps.num,
          clips: Object.keys(sources).length,
          estimateSec: estimatePlanSeconds(renderer, plan, sources),
          rateChanges: rateChangesOf(plan, sources),
        };
      }),
    // Planning reads the project: it runs in the project queue so no edit or close lands in between.
    'export.start': async (spec) => {
      // Checked before planning: a wrong farm URL never leaves a job waiting for a farm that is not there.
      if (spec.farm) await farmStatus(spec.farm);
      return ctx.queue.run(() => queue.start(spec));
    },
    'export.list': async () => queue.list(),
    'export.pause': ({ jobId }) => queue.pause(jobId),
    'export.resume': async ({ jobId }) => queue.resume(jobId),
    'export.cancel': ({ jobId }) => queue.cancel(jobId),
    'export.remove': async ({ jobId }) => {
      await queue.remove(jobId);
      return { ok: true as const };
    },
    'farm.status': ({ url }) => farmStatus(url),
  };
}
