// Add VEnhancer… as server state: Python's status and the export job (packs.venhancerStatus), kept live by
// 'packs.venhancerUpdated' events; the pack list is refetched when a job installs a pack.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { MethodOutput } from '../../../main/common/api';
import type { VenhancerInputs } from '../../../main/common/venhancer-setup-model';
import { getApi } from '../api/client';
import { call, packsKey } from './server';

export const venhancerStatusKey = ['venhancerStatus'] as const;
type Status = MethodOutput<'packs.venhancerStatus'>;

export function useVenhancerStatus() {
  return useQuery({ queryKey: venhancerStatusKey, queryFn: () => call('packs.venhancerStatus', {}), staleTime: 0 });
}

/** Applies job events to the cached status; mounted by the packs panel, so a job is followed while it is open. */
export function useVenhancerUpdates(): void {
  const client = useQueryClient();
  useEffect(
    () =>
      getApi().subscribe((e) => {
        // The event socket reconnected: updates may have been missed while it was down.
        if (e.event === 'project.changed' && e.payload.revision < 0) void client.invalidateQueries({ queryKey: venhancerStatusKey });
        if (e.event !== 'packs.venhancerUpdated') return;
        const job = e.payload;
        const cached = client.getQueryData<Status>(venhancerStatusKey);
        if (cached) client.setQueryData<Status>(venhancerStatusKey, { ...cached, job });
        else void client.invalidateQueries({ queryKey: venhancerStatusKey });
        if (job.state === 'done') void client.invalidateQueries({ queryKey: packsKey });
      }),
    [client],
  );
}

export function useLocateVenhancer() {
  return useMutation({
    meta: { label: 'Looking for the downloads' },
    mutationFn: (dir: string) => call('packs.venhancerLocate', { dir }),
  });
}

export function useStartVenhancer() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Starting the VEnhancer export' },
    mutationFn: (inputs: VenhancerInputs) => call('packs.venhancerStart', inputs),
    onSuccess: (job) => {
      const cached = client.getQueryData<Status>(venhancerStatusKey);
      // Events may already have moved this job on (keep that later snapshot) or announced a newer one.
      if (cached && cached.job?.id !== job.id && (cached.job?.startedAt ?? 0) <= job.startedAt) {
        client.setQueryData<Status>(venhancerStatusKey, { ...cached, job });
      }
    },
  });
}

export function useCancelVenhancer() {
  return useMutation({
    meta: { label: 'Cancelling the VEnhancer export' },
    mutationFn: () => call('packs.venhancerCancel', {}),
  });
}
