import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { CallResult } from '../../main/common/api';
import { unwrap } from './api/client';
import { App } from './components/App';
import { createQueryClient, projectKey } from './state/server';
import { showError } from './state/toasts';

/** Renders the editor; `projectState` is the request the entry chunk sent before this code had loaded. */
export function boot(projectState: Promise<CallResult<'project.state'>>, rootElement: HTMLElement): void {
  const queryClient = createQueryClient();
  void queryClient.prefetchQuery({
    queryKey: projectKey,
    queryFn: async () => unwrap('project.state', await projectState),
    staleTime: Infinity,
  });
  // Anything that escapes a handler still reaches the toast area.
  window.addEventListener('unhandledrejection', (e) => showError(e.reason, 'Unexpected error'));
  window.addEventListener('error', (e) => showError(e.error ?? e.message, 'Unexpected error'));
  createRoot(rootElement).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </StrictMode>,
  );
}
