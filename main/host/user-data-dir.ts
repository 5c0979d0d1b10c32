// Where Upframe keeps its recent-projects list and caches when not run by Electron (which has its own
// app.getPath('userData')). Matches Electron's choice so both hosts share one recent list.
import os from 'node:os';
import path from 'node:path';

export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.UPFRAME_USER_DATA) return path.resolve(env.UPFRAME_USER_DATA);
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Upframe');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Upframe');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Upframe');
}
