// Server state: every read is a react-query query, every edit a mutation that settles by invalidation.
// 'project.changed' events (from this window or another) invalidate the project and its history.
import { MutationCache, QueryCache, QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { MethodInput, MethodName, MethodOutput } from '../../../main/common/api';
import type { ProjectState } from '../../../main/common/model';
import { getApi } from '../api/client';
import { addImportRun, applyImportProgress, endImportRun, newImportId } from './importer';
import { errorMessage, showError, showInfo } from './toasts';

export const projectKey = ['project'] as const;
export const historyKey = ['history'] as const;
export const recentKey = ['recentProjects'] as const;
const appInfoKey = ['appInfo'] as const;
// Engine preferences and model packs: app-level, so they survive opening and closing projects.
export const enginePrefsKey = ['enginePrefs'] as const;
export const engineProvidersKey = ['engineProviders'] as const;
export const packsKey = ['packs'] as const;
// Presets, the chunk cache's figures and the export codecs are app-level too (keys from state/clip-settings.ts and
// state/export.ts, named here so this module does not import them).
const KEPT_ACROSS_PROJECTS = new Set<string>([
  projectKey[0],
  appInfoKey[0],
  enginePrefsKey[0],
  engineProvidersKey[0],
  packsKey[0],
  'presets',
  'cacheInfo',
  'exportCodecs',
  'engineCheck',
]);

export function call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  return getApi().call(method, input);
}

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (err, query) => {
        // "No project open" is the start screen, not an error.
        if (errorCode(err) === 'NO_PROJECT') return;
        // Queries marked silent show their error inline where they are used.
        if (query.meta?.silent) return;
        showError(err, `Could not load ${String(query.queryKey[0])}`);
      },
    }),
    mutationCache: new MutationCache({
      onError: (err, _vars, _ctx, mutation) => {
        // A cancel the person asked for is news, not a failure.
        if (errorCode(err) === 'CANCELLED') {
          showInfo(errorMessage(err));
          return;
        }
        const label = mutation.options.meta?.label;
        showError(err, typeof label === 'string' ? `${label} failed` : undefined);
      },
    }),
    defaultOptions: {
      queries: {
        retry: (count, err) => errorCode(err) !== 'NO_PROJECT' && errorCode(err) !== 'BAD_REQUEST' && count < 2,
        refetchOnWindowFocus: false,
        staleTime: 30_000,
      },
    },
  });
}

/** Keeps a snapshot only when it is not older than the cached one (events and replies can cross). */
export function acceptState(client: QueryClient, state: ProjectState): void {
  client.setQueryData<ProjectState>(projectKey, (old) => (old && old.revision > state.revision ? old : state));
}

export function useProjectState() {
  return useQuery({ queryKey: projectKey, queryFn: () => call('project.state', {}), staleTime: Infinity });
}

export function useHistory(enabled: boolean) {
  return useQuery({
    queryKey: historyKey,
    queryFn: () => call('history.list', { limit: 200 }),
    enabled,
    staleTime: Infinity,
  });
}

export function useRecentProjects() {
  return useQuery({ queryKey: recentKey, queryFn: () => call('app.recentProjects', {}) });
}

export function useAppInfo() {
  return useQuery({ queryKey: appInfoKey, queryFn: () => call('app.info', {}), staleTime: Infinity });
}

export function useMediaUrl(mediaId: number | null) {
  return useQuery({
    queryKey: ['mediaUrl', mediaId],
    queryFn: () => call('media.url', { mediaId: mediaId! }),
    enabled: mediaId !== null,
    staleTime: Infinity,
  });
}

export function useThumbnails(mediaId: number, frames: number[], height: number, enabled: boolean) {
  return useQuery({
    queryKey: ['thumbnails', mediaId, height, frames.join(',')],
    queryFn: () => call('media.thumbnails', { mediaId, frames, height }),
    enabled: enabled && frames.length > 0,
    staleTime: Infinity,
    gcTime: 10 * 60_000,
  });
}

/** Subscribes once per app to host events. */
export function useHostEvents(): void {
  const client = useQueryClient();
  useEffect(
    () =>
      getApi().subscribe((e) => {
        if (e.event === 'project.changed') {
          const cached = client.getQueryData<ProjectState>(projectKey);
          if (!cached || e.payload.revision < 0 || e.payload.revision > cached.revision) {
            void client.invalidateQueries({ queryKey: projectKey });
          }
          void client.invalidateQueries({ queryKey: historyKey });
        } else if (e.event === 'media.thumbnailsReady') {
          void client.invalidateQueries({ queryKey: ['thumbnails', e.payload.mediaId] });
        } else if (e.event === 'media.importProgress') {
          applyImportProgress(e.payload);
        }
      }),
    [client],
  );
}

function invalidateProject(client: QueryClient) {
  return Promise.all([
    client.invalidateQueries({ queryKey: projectKey }),
    client.invalidateQueries({ queryKey: historyKey }),
  ]);
}

type StateMethod = {
  [M in MethodName]: MethodOutput<M> extends ProjectState ? M : never;
}[MethodName];

/** A timeline/project edit that returns the new ProjectState. */
export function useEdit<M extends StateMethod>(method: M, label: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: MethodInput<M>) => call(method, input) as Promise<ProjectState>,
    meta: { label },
    onSuccess: (state) => acceptState(client, state),
    onSettled: () => invalidateProject(client),
  });
}

/** Applies `patch` to the cached clips at once; rolls back if the call fails; settles by invalidation. */
function useOptimisticEdit<M extends 'timeline.moveClips' | 'timeline.trimClip'>(
  method: M,
  label: string,
  patch: (state: ProjectState, input: MethodInput<M>) => ProjectState,
) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: MethodInput<M>) => call(method, input) as Promise<ProjectState>,
    meta: { label },
    onMutate: async (input) => {
      await client.cancelQueries({ queryKey: projectKey });
      const previous = client.getQueryData<ProjectState>(projectKey);
      if (previous) client.setQueryData<ProjectState>(projectKey, patch(previous, input));
      return { previous };
    },
    onError: (_err, _input, context) => {
      if (context?.previous) client.setQueryData(projectKey, context.previous);
    },
    onSuccess: (state) => acceptState(client, state),
    onSettled: () => invalidateProject(client),
  });
}

export function useMoveClips() {
  return useOptimisticEdit('timeline.moveClips', 'Move', (state, input) => {
    const moves = new Map(input.moves.map((m) => [m.clipId, m]));
    return {
      ...state,
      clips: state.clips.map((c) => {
        const m = moves.get(c.id);
        return m ? { ...c, trackId: m.trackId, start: m.start } : c;
      }),
    };
  });
}

export function useTrimClip() {
  return useOptimisticEdit('timeline.trimClip', 'Trim', (state, input) => ({
    ...state,
    clips: state.clips.map((c) =>
      c.id === input.clipId ? { ...c, start: input.start, sourceIn: input.sourceIn, sourceOut: input.sourceOut } : c,
    ),
  }));
}

/** Undo/redo to a history entry: `steps` undos (negative) or redos (positive), one call after another. */
export function useHistoryJump() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'History' },
    mutationFn: async (steps: number) => {
      let state: ProjectState | null = null;
      for (let i = 0; i < Math.abs(steps); i++) state = await call(steps < 0 ? 'history.undo' : 'history.redo', {});
      return state;
    },
    onSuccess: (state) => {
      if (state) acceptState(client, state);
    },
    onSettled: () => invalidateProject(client),
  });
}

/**
 * Drops the cached queries that belonged to the previous project. The project query keeps its observers (it is
 * replaced or reset, not removed); app-level queries (app info, engine preferences, model packs) stay.
 */
function removeProjectQueries(client: QueryClient): void {
  client.removeQueries({ predicate: (q) => !KEPT_ACROSS_PROJECTS.has(String(q.queryKey[0])) });
}

/** Opening or creating a project replaces every project query. */
export function useOpenProject() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Open project' },
    mutationFn: (input: { kind: 'create'; path: string; name?: string } | { kind: 'open'; path: string }) =>
      input.kind === 'create'
        ? call('project.create', { path: input.path, name: input.name })
        : call('project.open', { path: input.path }),
    onSuccess: (state) => {
      removeProjectQueries(client);
      client.setQueryData(projectKey, state);
      void client.invalidateQueries({ queryKey: recentKey });
    },
  });
}

export function useCloseProject() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Close project' },
    mutationFn: () => call('project.close', {}),
    onSuccess: () => {
      removeProjectQueries(client);
      // Reset (not invalidate): the closed project's snapshot must go, and the refetch reports NO_PROJECT.
      void client.resetQueries({ queryKey: projectKey });
    },
  });
}

/** Imports files; the import is listed in the importer store (for its progress row and cancel) while it runs. */
export function useImportMedia() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Import' },
    mutationFn: async (paths: string[]) => {
      const importId = newImportId();
      addImportRun(importId, paths);
      try {
        return await call('media.import', { paths, importId });
      } finally {
        endImportRun(importId);
      }
    },
    onSuccess: (result) => acceptState(client, result.state),
    onSettled: () => invalidateProject(client),
  });
}


export function useEnginePrefs(enabled = true) {
  return useQuery({ queryKey: enginePrefsKey, queryFn: () => call('prefs.getEngine', {}), enabled, staleTime: Infinity });
}

export function useEngineProviders(enabled = true) {
  return useQuery({ queryKey: engineProvidersKey, queryFn: () => call('engine.providers', {}), enabled, staleTime: Infinity });
}

/** Which providers really open a session here (a child process tries each once per app run). */
export function useEngineCheck(enabled = true) {
  return useQuery({ queryKey: ['engineCheck'], queryFn: () => call('engine.check', { refresh: false }), enabled, staleTime: Infinity });
}

export function useSetEnginePrefs() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Saving the engine preferences' },
    mutationFn: (prefs: MethodInput<'prefs.setEngine'>) => call('prefs.setEngine', prefs),
    onSuccess: (saved) => client.setQueryData(enginePrefsKey, saved),
    onSettled: () => client.invalidateQueries({ queryKey: enginePrefsKey }),
  });
}

export function usePacks(enabled = true) {
  // Listing verifies every pack (hashes cached by size and mtime), so it is refetched when the dialog opens.
  return useQuery({ queryKey: packsKey, queryFn: () => call('packs.list', {}), enabled, staleTime: 0 });
}

export function useImportPack() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Importing the pack' },
    mutationFn: (dir: string) => call('packs.import', { dir }),
    onSettled: () => client.invalidateQueries({ queryKey: packsKey }),
  });
}

export function useRemovePack() {
  const client = useQueryClient();
  return useMutation({
    meta: { label: 'Removing the pack' },
    mutationFn: (id: string) => call('packs.remove', { id }),
    onSettled: () => client.invalidateQueries({ queryKey: packsKey }),
  });
}
