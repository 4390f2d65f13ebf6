import { ValidationError, isSafeJson, timestampProblem } from '@patchstate/domain';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** Cursors are opaque to clients: base64url JSON of the last key seen, so paging stays stable under inserts. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, isKey: (value: unknown) => value is T, field = 'cursor'): T | null {
  if (cursor === undefined || cursor === '') return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A key reaches SQL as a parameter: a NUL or an unpaired surrogate in it would fail there (a 500).
    if (isSafeJson(value) && isKey(value)) return value;
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError([{ field, message: 'is not a cursor this service handed out' }]);
}

export function parseLimit(value: unknown, field = 'limit'): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE;
  const text = String(value);
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError([{ field, message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` }]);
  }
  return limit;
}

export const isString = (value: unknown): value is string => typeof value === 'string';

/** `asOf` of a point-in-time query: absent (or empty, as gRPC sends it) means now, from the read models. */
export function parseAsOf(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  const problem = timestampProblem(value);
  if (problem !== undefined) throw new ValidationError([{ field: 'asOf', message: problem }]);
  return value as string;
}
