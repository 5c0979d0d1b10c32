// How the renderer reaches media and thumbnail files on each transport. The web host serves /media/<id> and
// /thumbs/<file> on its own origin; Electron serves the same two routes on the privileged upframe-media scheme.
export const MEDIA_SCHEME = 'upframe-media';

export type HostKind = 'electron' | 'web';

function base(host: HostKind): string {
  return host === 'electron' ? `${MEDIA_SCHEME}://` : '/';
}

/** `version` changes when the file behind the id changes (relink), so no cache serves the old bytes. */
export function mediaUrl(host: HostKind, mediaId: number, version: string): string {
  return `${base(host)}media/${mediaId}?v=${encodeURIComponent(version.slice(0, 16))}`;
}

/** `relPath` is the thumbnail's path relative to the thumbnail cache folder. */
export function thumbnailUrl(host: HostKind, relPath: string): string {
  const encoded = relPath.split(/[\\/]/).map(encodeURIComponent).join('/');
  return `${base(host)}thumbs/${encoded}`;
}
