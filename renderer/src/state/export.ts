// Exports as server state: the codec list, the render queue (export.list, kept live by 'export.updated' events)
// and the queue's actions. Types only from the render model, so zod stays out of the editor chunk.
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { ExportJob } from '../../../main/common/render-model';
import { getApi } from '../api/client';
import { call } from './server';

export const exportJobsKey = ['exportJobs'] as const;
export const exportCodecsKey = ['exportCodecs'] as const;

/** Queue order: oldest first, as the services run them. */
function byId(a: ExportJob, b: ExportJob): number {
  return a.id - b.id;
}

export function useExportJobs() {
  // Events keep the list current; it is read once per project, and again after the event socket reconnects.
  return useQuery({
    queryKey: exportJobsKey,
    queryFn: async () => (await call('export.list', {})).sort(byId),
    staleTime: Infinity,
    // The queue panel shows a failed read inline, with a retry.
    meta: { silent: true },
  });
}

export function useExportCodecs(enabled: boolean) {
  // The installed ffmpeg does not change while the app runs.
  return useQuery({ queryKey: exportCodecsKey, queryFn: () => call('export.codecs', {}), enabled, staleTime: Infinity });
}

/** Puts the job's newest snapshot in the cached queue; returns the snapshot it replaced (undefined if new). */
export function mergeExportJob(client: QueryClient, job: ExportJob): ExportJob | undefined {
  let previous: ExportJob | undefined;
  client.setQueryData<ExportJob[]>(exportJobsKey, (jobs) => {
    if (!jobs) return jobs;
    previous = jobs.find((j) => j.id === job.id);
    // Replies and events can cross: an older snapshot never replaces a newer one.
    if (previous && previous.updatedAt > job.updatedAt) return jobs;
    return previous ? jobs.map((j) => (j.id === job.id ? job : j)) : [...jobs, job].sort(byId);
  });
  return previous;
}

export type ExportJobChange = { job: ExportJob; previous: ExportJob | undefined };

/**
 * Applies 'export.updated' events to the cached queue and reports each one with the snapshot it replaced, so a
 * caller can tell a job that just ended (a notification) from one that was already over.
 */
export function useExportUpdates(onChange: (change: ExportJobChange) => void): void {
  const client = useQueryClient();
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  useEffect(
    () =>
      getApi().subscribe((e) => {
        // The event socket reconnected: updates may have been missed while it was down.
        if (e.event === 'project.changed' && e.payload.revision < 0) void client.invalidateQueries({ queryKey: exportJobsKey });
        if (e.event !== 'export.updated') return;
        const job = e.payload;
        const loaded = client.getQueryData<ExportJob[]>(exportJobsKey) !== undefined;
        const previous = mergeExportJob(client, job);
        // Before the list has arrived the event cannot be placed; the (re)fetched list then holds the job.
        if (!loaded) void client.invalidateQueries({ queryKey: exportJobsKey });
        onChangeRef.current({ job, previous });
      }),
    [client],
  );
}

type JobAction = 'export.pause' | 'export.resume' | 'export.cancel';

const ACTION_LABELS: Record<JobAction, string> = {
  'export.pause': 'Pausing the export',
  'export.resume': 'Resuming the export',
  'export.cancel': 'Cancelling the export',
};

/** Pause, resume or cancel a job; the reply's snapshot goes straight into the queue. */
export function useExportJobAction(action: JobAction) {
  const client = useQueryClient();
  return useMutation({
    meta: { label: ACTION_LABELS[action] },
    mutationFn: (jobId: number) => call(action, { jobId }),
    onSuccess: (job) => void mergeExportJob(client, job),
  });
}

export function useRemoveExportJob() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Removing the export from the queue' },
    mutationFn: async (jobId: number) => {
      await call('export.remove', { jobId });
      return jobId;
    },
    onSuccess: (jobId) => client.setQueryData<ExportJob[]>(exportJobsKey, (jobs) => jobs?.filter((j) => j.id !== jobId)),
  });
}
