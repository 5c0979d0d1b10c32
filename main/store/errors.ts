// Turns whatever a store operation threw into an ApiError a person can act on: validation failures keep their
// message, SQLite failures say what went wrong with the project file instead of leaking a raw SqliteError.
import Database from 'better-sqlite3';
import { ZodError } from 'zod';
import { ApiError } from '../common/api';

export function describeZodError(error: ZodError, prefix: string): string {
  return error.issues
    .map((issue) => {
      const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return field ? `${field}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

export function toApiError(error: unknown, action: string, file: string): unknown {
  if (error instanceof ApiError) return error;
  if (error instanceof ZodError) return new ApiError('BAD_REQUEST', describeZodError(error, ''));
  if (error instanceof Database.SqliteError) return new ApiError(codeFor(error.code), messageFor(error, action, file));
  return error;
}

function codeFor(sqliteCode: string) {
  if (sqliteCode.startsWith('SQLITE_CONSTRAINT')) return 'CONFLICT' as const;
  if (sqliteCode.startsWith('SQLITE_BUSY') || sqliteCode.startsWith('SQLITE_LOCKED')) return 'CONFLICT' as const;
  return 'INTERNAL' as const;
}

function messageFor(error: InstanceType<typeof Database.SqliteError>, action: string, file: string): string {
  const code = error.code;
  if (code.startsWith('SQLITE_FULL')) return `Could not ${action}: the disk holding ${file} is full. Free some space and try again.`;
  if (code.startsWith('SQLITE_READONLY')) return `Could not ${action}: ${file} is read-only. Check its permissions, or save a copy elsewhere.`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `Could not ${action}: another program is using ${file}. Close it there and try again.`;
  }
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')) {
    return `Could not ${action}: ${file} is damaged (${error.message}).`;
  }
  if (code.startsWith('SQLITE_IOERR')) return `Could not ${action}: reading or writing ${file} failed (${error.message}).`;
  return `Could not ${action}: the project file rejected the change (${code}: ${error.message}).`;
}
