// The viewer, or the compare viewer while a preview is shown, with the preview's progress over either.
import { useEffect } from 'react';
import { useStore } from '../../lib/store';
import type { TimelineModel } from '../../state/model';
import { bindPreviewProject, compareShown, previewStore, resetPreview } from '../../state/preview';
import { Viewer } from '../Viewer';
import { CompareViewer } from './CompareViewer';
import { PreviewOverlay } from './PreviewOverlay';

export function ViewerArea({ model }: { model: TimelineModel }) {
  const ui = useStore(previewStore, (s) => s);
  const projectPath = model.state.project.path;

  useEffect(() => bindPreviewProject(model.state), [model.state]);
  // A preview belongs to its project: another project (or none) starts with the plain viewer.
  useEffect(
    () => () => {
      bindPreviewProject(null);
      resetPreview();
    },
    [projectPath],
  );

  return (
    <div className="viewer-area">
      {compareShown(ui) ? <CompareViewer key={ui.preview!.id} preview={ui.preview!} /> : <Viewer model={model} />}
      <PreviewOverlay ui={ui} />
    </div>
  );
}
