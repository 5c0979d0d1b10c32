// Entry: asks the host for the project at once, while the editor's code (a separate chunk) is still loading,
// so the first timeline render does not wait for the request after the whole bundle has run.
import { createQueryClient, call, projectKey } from './state/server';
import { showError } from './state/toasts';
import './styles.css';

const queryClient = createQueryClient();
void queryClient.prefetchQuery({ queryKey: projectKey, queryFn: () => call('project.state', {}), staleTime: Infinity });

// Anything that escapes a handler still reaches the toast area.
window.addEventListener('unhandledrejection', (e) => showError(e.reason, 'Unexpected error'));
window.addEventListener('error', (e) => showError(e.error ?? e.message, 'Unexpected error'));

import('./boot')
  .then(({ boot }) => boot(queryClient, document.getElementById('root')!))
  .catch((err: unknown) => {
    // Without the editor's code there is no toast area: say it in the page itself.
    const root = document.getElementById('root')!;
    root.textContent = `Upframe could not load its editor: ${err instanceof Error ? err.message : String(err)}. Reload the page.`;
    root.className = 'splash';
    console.error(err);
  });
