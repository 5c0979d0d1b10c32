// The Content-Security-Policy both hosts send with the renderer: scripts and styles from the app only, media from
// the app (and blob: for generated previews), no plugins, no framing. `connectSrc` adds the event socket's origin.
export function contentSecurityPolicy(extra: { connectSrc?: string[]; mediaSrc?: string[]; imgSrc?: string[] } = {}): string {
  const list = (base: string[], more: string[] = []) => [...base, ...more].join(' ');
  return [
    "default-src 'self'",
    `img-src ${list(["'self'", 'blob:', 'data:'], extra.imgSrc)}`,
    `media-src ${list(["'self'", 'blob:'], extra.mediaSrc)}`,
    `connect-src ${list(["'self'"], extra.connectSrc)}`,
    "style-src 'self' 'unsafe-inline'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
