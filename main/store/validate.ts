// Input checks shared by the store's methods. Each failure names the field so the caller knows what to fix.
import { ApiError } from '../common/api';
import type { Rational } from '../common/model';

export function requireInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ApiError('BAD_REQUEST', `${field} must be a whole number (got ${describe(value)}).`);
  }
  return value;
}

/** A frame position or count: a whole number, not negative. */
export function requireFrame(field: string, value: unknown): number {
  const frame = requireInteger(field, value);
  if (frame < 0) throw new ApiError('BAD_REQUEST', `${field} must not be negative (got ${frame}).`);
  return frame;
}

export function requirePositive(field: string, value: unknown): number {
  const n = requireInteger(field, value);
  if (n <= 0) throw new ApiError('BAD_REQUEST', `${field} must be greater than 0 (got ${n}).`);
  return n;
}

/** A frame width or height: a whole, even number of pixels from 16 to 16384 (encoders need even sizes). */
export function requireFrameSize(field: string, value: unknown): number {
  const n = requireInteger(field, value);
  if (n < 16 || n > 16384 || n % 2 !== 0) {
    throw new ApiError('BAD_REQUEST', `The ${field} must be an even number of pixels from 16 to 16384 (got ${n}).`);
  }
  return n;
}

/** A non-empty list of distinct ids. */
export function requireIdList(field: string, value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0) throw new ApiError('BAD_REQUEST', `${field} must list at least one clip.`);
  const ids = value.map((id, index) => requireInteger(`${field}[${index}]`, id));
  if (new Set(ids).size !== ids.length) throw new ApiError('BAD_REQUEST', `${field} lists the same clip more than once.`);
  return ids;
}

export function requireRational(field: string, value: unknown): Rational {
  const fps = value as Partial<Rational> | null;
  if (typeof fps !== 'object' || fps === null) throw new ApiError('BAD_REQUEST', `${field} must be a rational {num, den}.`);
  return { num: requirePositive(`${field}.num`, fps.num), den: requirePositive(`${field}.den`, fps.den) };
}

export function requireText(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ApiError('BAD_REQUEST', `${field} must not be empty.`);
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
