// The viewer, or the compare viewer while a preview is shown. Placeholder until implemented.
import type { TimelineModel } from '../../state/model';
import { Viewer } from '../Viewer';

export function ViewerArea({ model }: { model: TimelineModel }) {
  return <Viewer model={model} />;
}
