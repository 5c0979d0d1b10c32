// Entry: sends the request for the project and starts loading the editor's code (a separate chunk) at once, so
// neither waits for the other. This chunk stays tiny (no React, no zod) for the same reason.
import { rawCall } from './api/raw-call';
import './styles.css';

const projectState = rawCall('project.state', {});

import('./boot')
  .then(({ boot }) => boot(projectState, document.getElementById('root')!))
  .catch((err: unknown) => {
    // Without the editor's code there is no toast area: say it in the page itself.
    const root = document.getElementById('root')!;
    root.textContent = `Upframe could not load its editor: ${err instanceof Error ? err.message : String(err)}. Reload the page.`;
    root.className = 'splash';
    console.error(err);
  });
