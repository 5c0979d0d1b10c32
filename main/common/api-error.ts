// Errors cross the boundary as data, with a stable code the UI can act on and a message a person can act on.
// Free of zod, so the renderer's first chunk can read errors without the schema library.

export const ERROR_CODES = [
  'BAD_REQUEST',
  'NO_PROJECT',
  'NOT_FOUND',
  'MEDIA_UNREADABLE',
  'MEDIA_OFFLINE',
  'FFMPEG_MISSING',
  /** A model pack is missing files, corrupt, or does not match its manifest. */
  'PACK_INVALID',
  'CONFLICT',
  /** The output file exists; the person must confirm replacing it. */
  'FILE_EXISTS',
  /** The disk (or quota) ran out of space while writing. */
  'DISK_FULL',
  /** The folder cannot be written (permissions, read-only disk). */
  'NOT_WRITABLE',
  /** The operation was cancelled by the person; nothing was changed. */
  'CANCELLED',
  'FORBIDDEN',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
export type ApiErrorData = { code: ErrorCode; message: string };

export function isApiErrorData(value: unknown): value is ApiErrorData {
  const data = value as { code?: unknown; message?: unknown } | null;
  return (
    typeof data === 'object' &&
    data !== null &&
    typeof data.message === 'string' &&
    (ERROR_CODES as readonly unknown[]).includes(data.code)
  );
}

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toData(): ApiErrorData {
    return { code: this.code, message: this.message };
  }
}
