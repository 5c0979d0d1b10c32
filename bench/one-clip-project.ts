// The project the export benchmarks render: one generated 640x360 24 fps clip (with audio) on the timeline, set to
// the classic engine at scale 2 (1280x720 output), made through the real services.
import path from 'node:path';
import { defaultClipSettings } from '../main/common/settings';
import { createServices } from '../main/services/services';
import { makeTestVideo } from '../tests/helpers/media-fixtures';
import { call } from '../tests/helpers/services';

export async function makeOneClipProject(dir: string, seconds: number): Promise<{ clip: string; dataDir: string; project: string }> {
  const clip = makeTestVideo(dir, { name: 'bench', width: 640, height: 360, fps: 24, durationSec: seconds });
  const dataDir = path.join(dir, 'data');
  const project = path.join(dir, 'bench.upframe');
  const services = createServices({ userDataDir: dataDir, host: 'web', log: () => {}, mediaWatchMs: 0 });
  try {
    await call(services, 'project.create', { path: project, name: 'Bench' });
    const imported = await call(services, 'media.import', { paths: [clip] });
    const state = await call(services, 'timeline.addClip', { mediaId: imported.imported[0].id, trackId: imported.state.tracks[0].id, start: 0 });
    await call(services, 'clip.setSettings', { clipIds: [state.clips[0].id], settings: { ...defaultClipSettings(), scale: 2 } });
  } finally {
    await services.close();
  }
  return { clip, dataDir, project };
}
