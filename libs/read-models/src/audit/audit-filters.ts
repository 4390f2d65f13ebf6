import {
  DEVICE_EVENT_TYPES,
  DEVICE_ID,
  FieldChecks,
  PATCH_CATALOG_EVENT_TYPES,
  ValidationError,
  isIsoTimestamp,
  timestampProblem,
} from '@patchstate/domain';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decodeCursor } from '../paging/page';

/** `from` is inclusive and `to` exclusive, both on recordedAt (the service's clock, which callers cannot set). */
export interface TimeRange {
  from?: string;
  to?: string;
}

export interface TimelineFilter extends TimeRange {
  deviceId: string;
  /** Event types to keep; absent or empty keeps every type. */
  types?: string[];
}

export interface AuditLogFilter extends TimeRange {
  /** The actor id recorded with the event (`metadata.actor.id`). */
  actor?: string;
  types?: string[];
}

export interface TimelineRequest {
  filter: TimelineFilter;
  /** The page size; null when streaming, which carries the whole selection. */
  limit: number | null;
  afterVersion: number | null;
}

export interface AuditLogRequest {
  filter: AuditLogFilter;
  limit: number | null;
  afterPosition: string | null;
}

/** Raw inputs as a transport hands them over: query-string values, or the fields of a gRPC message. */
export interface RawTimelineQuery {
  deviceId: unknown;
  from?: unknown;
  to?: unknown;
  /** One type, a comma-separated list, or a list (repeated query parameter or gRPC repeated field). */
  type?: unknown;
  limit?: unknown;
  cursor?: unknown;
}

export interface RawAuditLogQuery {
  actor?: unknown;
  from?: unknown;
  to?: unknown;
  type?: unknown;
  limit?: unknown;
  cursor?: unknown;
}

export interface ParseOptions {
  /** A stream carries the whole selection (after the cursor): a page size makes no sense there. */
  streaming?: boolean;
}

const TIMELINE_EVENT_TYPES: readonly string[] = DEVICE_EVENT_TYPES;
const ALL_EVENT_TYPES: readonly string[] = [...DEVICE_EVENT_TYPES, ...PATCH_CATALOG_EVENT_TYPES];

/** Validates a timeline query, naming every bad field at once (VALIDATION_FAILED). */
export function parseTimelineQuery(raw: RawTimelineQuery, options: ParseOptions = {}): TimelineRequest {
  const checks = new FieldChecks({ deviceId: raw.deviceId }).requiredString(
    'deviceId',
    DEVICE_ID,
    'letters, digits and . _ : - (at most 128)',
  );
  const range = checkTimeRange(checks, raw);
  const types = checkTypes(checks, raw.type, TIMELINE_EVENT_TYPES);
  const limit = checkLimit(checks, raw.limit, options);
  const cursor = checkCursor(checks, raw.cursor, isTimelineCursor);
  checks.throwIfInvalid();
  return {
    filter: { deviceId: raw.deviceId as string, ...range, ...(types ? { types } : {}) },
    limit,
    afterVersion: cursor?.afterVersion ?? null,
  };
}

/** Validates a fleet audit log query, naming every bad field at once (VALIDATION_FAILED). */
export function parseAuditLogQuery(raw: RawAuditLogQuery, options: ParseOptions = {}): AuditLogRequest {
  const checks = new FieldChecks({ actor: emptyAsAbsent(raw.actor) }).optionalString('actor');
  const range = checkTimeRange(checks, raw);
  const types = checkTypes(checks, raw.type, ALL_EVENT_TYPES);
  const limit = checkLimit(checks, raw.limit, options);
  const cursor = checkCursor(checks, raw.cursor, isAuditLogCursor);
  checks.throwIfInvalid();
  const actor = emptyAsAbsent(raw.actor) as string | undefined;
  return {
    filter: { ...(actor !== undefined ? { actor } : {}), ...range, ...(types ? { types } : {}) },
    limit,
    afterPosition: cursor?.afterPosition ?? null,
  };
}

/** gRPC has no "absent" for strings and REST sends `?from=` as an empty string: both mean "not given". */
function emptyAsAbsent(value: unknown): unknown {
  return value === '' || value === null ? undefined : value;
}

function checkTimeRange(checks: FieldChecks, raw: { from?: unknown; to?: unknown }): TimeRange {
  const from = emptyAsAbsent(raw.from);
  const to = emptyAsAbsent(raw.to);
  const fromProblem = from === undefined ? undefined : timestampProblem(from);
  const toProblem = to === undefined ? undefined : timestampProblem(to);
  if (fromProblem !== undefined) checks.fail('from', fromProblem);
  if (toProblem !== undefined) checks.fail('to', toProblem);
  if (isIsoTimestamp(from) && isIsoTimestamp(to) && Date.parse(to) <= Date.parse(from)) checks.fail('to', 'must be after from');
  return {
    ...(isIsoTimestamp(from) ? { from } : {}),
    ...(isIsoTimestamp(to) ? { to } : {}),
  };
}

function checkTypes(checks: FieldChecks, value: unknown, known: readonly string[]): string[] | undefined {
  const given = emptyAsAbsent(value);
  if (given === undefined) return undefined;
  const items = Array.isArray(given) ? given : [given];
  if (items.some((item) => typeof item !== 'string')) {
    checks.fail('type', 'must be event type names');
    return undefined;
  }
  const types = [...new Set((items as string[]).flatMap((item) => item.split(',')).map((t) => t.trim()).filter((t) => t !== ''))];
  const unknown = types.filter((t) => !known.includes(t));
  if (unknown.length > 0) checks.fail('type', `${unknown.join(', ')} is not one of ${known.join(', ')}`);
  return types.length > 0 ? types : undefined;
}

function checkLimit(checks: FieldChecks, value: unknown, options: ParseOptions): number | null {
  const given = emptyAsAbsent(value);
  if (options.streaming) {
    if (given !== undefined && given !== 0) checks.fail('limit', 'is not accepted when streaming: the stream carries the whole selection');
    return null;
  }
  if (given === undefined) return DEFAULT_PAGE_SIZE;
  const text = String(given);
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > MAX_PAGE_SIZE) {
    checks.fail('limit', `must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    return DEFAULT_PAGE_SIZE;
  }
  return limit;
}

function checkCursor<T>(checks: FieldChecks, value: unknown, isKey: (key: unknown) => key is T): T | null {
  const given = emptyAsAbsent(value);
  if (given === undefined) return null;
  if (typeof given !== 'string') {
    checks.fail('cursor', 'is not a cursor this service handed out');
    return null;
  }
  try {
    return decodeCursor(given, isKey);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const fieldError of error.fieldErrors) checks.fail(fieldError.field, fieldError.message);
    return null;
  }
}

/** Stream versions are an int4 column and positions a bigint: a cursor beyond them would fail in Postgres. */
const MAX_VERSION = 2 ** 31 - 1;
const MAX_POSITION = 2n ** 63n - 1n;

function isTimelineCursor(value: unknown): value is { afterVersion: number } {
  const key = value as { afterVersion?: unknown } | null;
  if (typeof key !== 'object' || key === null || !Number.isInteger(key.afterVersion)) return false;
  const version = key.afterVersion as number;
  return version >= 0 && version <= MAX_VERSION;
}

function isAuditLogCursor(value: unknown): value is { afterPosition: string } {
  const key = value as { afterPosition?: unknown } | null;
  return typeof key === 'object' && key !== null && typeof key.afterPosition === 'string' && /^\d{1,19}$/.test(key.afterPosition) && BigInt(key.afterPosition) <= MAX_POSITION;
}
