// Files the media protocol serves besides media and thumbnails (preview videos): each is handed out under a random
// token, so a page can reach only the files a service chose to show it, and no path appears in a URL.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { MEDIA_SCHEME, type HostKind } from './media-urls';

export class ServedFiles {
  private readonly byToken = new Map<string, string>();
  private readonly byPath = new Map<string, string>();

  allow(file: string): string {
    const abs = path.resolve(file);
    let token = this.byPath.get(abs);
    if (!token) {
      token = randomBytes(12).toString('hex');
      this.byToken.set(token, abs);
      this.byPath.set(abs, token);
    }
    return token;
  }

  url(host: HostKind, file: string): string {
    const token = this.allow(file);
    return `${host === 'electron' ? `${MEDIA_SCHEME}://` : '/'}files/${token}`;
  }

  path(token: string): string | null {
    return this.byToken.get(token) ?? null;
  }

  has(file: string): boolean {
    return this.byPath.has(path.resolve(file));
  }
}
