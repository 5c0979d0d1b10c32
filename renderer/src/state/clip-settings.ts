// Server state for per-clip settings: presets, output estimates, the render status per clip and the chunk cache.
// Type-only imports from the schemas keep zod out of the editor's first chunk; the inspector form that validates
// loads it lazily.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { MethodInput } from '../../../main/common/api';
import type { ProjectState } from '../../../main/common/model';
import type { CacheInfo } from '../../../main/common/render-model';
import type { ClipSettings } from '../../../main/common/settings';
import { getApi } from '../api/client';
import { acceptState, call, historyKey, projectKey } from './server';

export const presetsKey = ['presets'] as const;
export const renderStatusKey = ['renderStatus'] as const;
export const cacheInfoKey = ['cacheInfo'] as const;
const estimateKey = 'clipEstimate';

export function usePresets() {
  return useQuery({ queryKey: presetsKey, queryFn: () => call('presets.list', {}), staleTime: 60_000, meta: { silent: true } });
}

export function useSavePreset() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Saving the preset' },
    mutationFn: (input: MethodInput<'presets.save'>) => call('presets.save', input),
    onSettled: () => client.invalidateQueries({ queryKey: presetsKey }),
  });
}

export function useRemovePreset() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Removing the preset' },
    mutationFn: (id: string) => call('presets.remove', { id }),
    onSettled: () => client.invalidateQueries({ queryKey: presetsKey }),
  });
}

/** Output size, rate, frames and time for a clip with settings not yet saved; errors show inline (silent). */
export function useClipEstimate(clipId: number | null, settings: ClipSettings | null) {
  return useQuery({
    queryKey: [estimateKey, clipId, settings === null ? null : JSON.stringify(settings)],
    queryFn: () => call('clip.estimate', { clipId: clipId!, settings: settings! }),
    enabled: clipId !== null && settings !== null,
    staleTime: 10_000,
    retry: false,
    meta: { silent: true },
    placeholderData: (previous) => previous,
  });
}

/** One clip-settings write: the clips that end up with these exact settings. */
export type SettingsWrite = { clipIds: number[]; settings: ClipSettings };

/** Groups per-clip results so that clips ending with the same settings share one call (one history entry). */
export function groupWrites(perClip: { clipId: number; settings: ClipSettings }[]): SettingsWrite[] {
  const byJson = new Map<string, SettingsWrite>();
  for (const { clipId, settings } of perClip) {
    const json = JSON.stringify(settings);
    const group = byJson.get(json);
    if (group) group.clipIds.push(clipId);
    else byJson.set(json, { clipIds: [clipId], settings });
  }
  return [...byJson.values()];
}

/** Writes clip settings: clips whose other fields differ get their own merged settings, in one undoable edit. */
export function useSetClipSettings() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Changing the enhancement settings' },
    mutationFn: async (writes: SettingsWrite[]): Promise<ProjectState | null> =>
      writes.length === 0 ? null : call('clip.setSettings', { writes: writes.map((w) => ({ clipIds: w.clipIds, settings: w.settings })) }),
    onSuccess: (state) => {
      if (state) acceptState(client, state);
    },
    onSettled: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: projectKey }),
        client.invalidateQueries({ queryKey: historyKey }),
        client.invalidateQueries({ queryKey: renderStatusKey }),
      ]),
  });
}

/** Per clip: which ranges are enhanced for its current settings. Errors show in the status bar itself. */
export function useRenderStatus(enabled = true) {
  return useQuery({
    queryKey: renderStatusKey,
    queryFn: () => call('render.status', {}),
    enabled,
    staleTime: Infinity,
    retry: false,
    meta: { silent: true },
  });
}

/** Refetches the render status and cache figures when the host says they changed (mounted once, by the bar). */
export function useRenderStatusEvents(): void {
  const client = useQueryClient();
  useEffect(
    () =>
      getApi().subscribe((e) => {
        if (e.event === 'render.statusChanged' || e.event === 'project.changed') {
          void client.invalidateQueries({ queryKey: renderStatusKey });
        } else if (e.event === 'cache.changed') {
          client.setQueryData<CacheInfo>(cacheInfoKey, e.payload);
          void client.invalidateQueries({ queryKey: renderStatusKey });
        }
      }),
    [client],
  );
}

export function useCacheInfo() {
  return useQuery({ queryKey: cacheInfoKey, queryFn: () => call('cache.info', {}), staleTime: 0, retry: false, meta: { silent: true } });
}

export function useClearCache() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Clearing the cache' },
    mutationFn: () => call('cache.clear', {}),
    onSuccess: (info) => client.setQueryData(cacheInfoKey, info),
    onSettled: () =>
      Promise.all([client.invalidateQueries({ queryKey: cacheInfoKey }), client.invalidateQueries({ queryKey: renderStatusKey })]),
  });
}

export function useSetCacheLimit() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Setting the cache limit' },
    mutationFn: (limitBytes: number) => call('cache.setLimit', { limitBytes }),
    onSuccess: (info) => client.setQueryData(cacheInfoKey, info),
    onSettled: () => client.invalidateQueries({ queryKey: cacheInfoKey }),
  });
}
