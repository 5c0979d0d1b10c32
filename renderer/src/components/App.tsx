import * as Tooltip from '@radix-ui/react-tooltip';
import { errorCode, useHostEvents, useProjectState } from '../state/server';
import { errorMessage } from '../state/toasts';
import { Editor } from './Editor';
import { ProjectScreen } from './ProjectScreen';
import { SettingsDialog, useSettingsShortcut } from './settings/SettingsDialog';
import { Toasts } from './Toasts';

export function App() {
  useHostEvents();
  useSettingsShortcut();
  const project = useProjectState();
  let body;
  if (project.data) body = <Editor state={project.data} />;
  else if (project.isPending && project.fetchStatus !== 'idle') body = <div className="splash">Loading…</div>;
  else if (project.error && errorCode(project.error) !== 'NO_PROJECT') {
    body = (
      <div className="splash">
        <p>Could not reach the project: {errorMessage(project.error)}</p>
        <button className="btn" onClick={() => void project.refetch()}>
          Try again
        </button>
      </div>
    );
  } else body = <ProjectScreen />;
  return (
    <Tooltip.Provider delayDuration={400}>
      {body}
      <SettingsDialog />
      <Toasts />
    </Tooltip.Provider>
  );
}
