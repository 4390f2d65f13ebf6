import { isBuild } from './builds';
import { FieldError, ValidationError } from './domain-error';

/** Collects every bad field of one input before refusing it, so a client fixes all of them at once. */
export class FieldChecks {
  private readonly errors: FieldError[] = [];

  constructor(private readonly input: Record<string, unknown>) {}

  fail(field: string, message: string): this {
    this.errors.push({ field, message });
    return this;
  }

  onlyKnown(allowed: readonly string[], prefix = ''): this {
    for (const key of Object.keys(this.input)) {
      if (!allowed.includes(key)) this.fail(prefix + key, 'is not a known field');
    }
    return this;
  }

  value(field: string): unknown {
    return this.input[field];
  }

  requiredString(field: string, pattern?: RegExp, hint?: string): this {
    const value = this.input[field];
    if (value === undefined || value === null) return this.fail(field, 'is required');
    return this.optionalString(field, pattern, hint);
  }

  optionalString(field: string, pattern?: RegExp, hint?: string): this {
    const value = this.input[field];
    if (value === undefined) return this;
    if (typeof value !== 'string' || value.length === 0) return this.fail(field, 'must be a non-empty string');
    if (value.length > 256) return this.fail(field, 'must be at most 256 characters');
    if (!isSafeText(value)) return this.fail(field, UNSAFE_TEXT);
    if (pattern && !pattern.test(value)) this.fail(field, `must match ${hint ?? pattern.source}`);
    return this;
  }

  requiredBuild(field: string): this {
    if (this.input[field] === undefined) return this.fail(field, 'is required');
    return this.optionalBuild(field);
  }

  optionalBuild(field: string): this {
    const value = this.input[field];
    if (value !== undefined && !isBuild(value)) this.fail(field, 'must be a build such as "26100.2894"');
    return this;
  }

  requiredEnum(field: string, allowed: readonly string[]): this {
    if (this.input[field] === undefined) return this.fail(field, 'is required');
    return this.optionalEnum(field, allowed);
  }

  optionalEnum(field: string, allowed: readonly string[]): this {
    const value = this.input[field];
    if (value !== undefined && (typeof value !== 'string' || !allowed.includes(value))) {
      this.fail(field, `must be one of ${allowed.join(', ')}`);
    }
    return this;
  }

  requiredBoolean(field: string): this {
    if (this.input[field] === undefined) return this.fail(field, 'is required');
    return this.optionalBoolean(field);
  }

  optionalBoolean(field: string): this {
    const value = this.input[field];
    if (value !== undefined && typeof value !== 'boolean') this.fail(field, 'must be true or false');
    return this;
  }

  requiredTimestamp(field: string): this {
    if (this.input[field] === undefined) return this.fail(field, 'is required');
    return this.optionalTimestamp(field);
  }

  optionalTimestamp(field: string): this {
    const value = this.input[field];
    const problem = value === undefined ? undefined : timestampProblem(value);
    if (problem !== undefined) this.fail(field, problem);
    return this;
  }

  stringList(field: string, options: { required: boolean; pattern: RegExp; hint: string; allowed?: readonly string[]; nonEmpty?: boolean }): this {
    const value = this.input[field];
    if (value === undefined) return options.required ? this.fail(field, 'is required') : this;
    if (!Array.isArray(value)) return this.fail(field, 'must be a list');
    if (options.nonEmpty && value.length === 0) this.fail(field, 'must not be empty');
    if (value.length > 1000) return this.fail(field, 'must have at most 1000 entries');
    value.forEach((item, index) => {
      if (typeof item !== 'string' || !options.pattern.test(item)) this.fail(`${field}[${index}]`, `must be ${options.hint}`);
      else if (options.allowed && !options.allowed.includes(item)) this.fail(`${field}[${index}]`, `must be one of ${options.allowed.join(', ')}`);
    });
    if (new Set(value).size !== value.length) this.fail(field, 'must not repeat an entry');
    return this;
  }

  hasErrors(): boolean {
    return this.errors.length > 0;
  }

  throwIfInvalid(): void {
    if (this.errors.length > 0) throw new ValidationError(this.errors);
  }
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Postgres and JavaScript disagree on far dates (year 0000 parses here, fails in a timestamptz column and in
 * the projector), so every time a client sends must lie in a range both handle and that a patch history needs.
 */
export const EARLIEST_TIME = '1990-01-01T00:00:00Z';
export const LATEST_TIME = '2100-12-31T23:59:59.999Z';

/** Why a value is not an acceptable time, or undefined when it is: the one rule every transport applies. */
export function timestampProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !ISO_TIMESTAMP.test(value) || !isCalendarDate(value) || Number.isNaN(Date.parse(value))) {
    return 'must be an ISO 8601 time with a zone, such as "2025-01-14T18:00:00Z"';
  }
  const time = Date.parse(value);
  if (time < Date.parse(EARLIEST_TIME) || time > Date.parse(LATEST_TIME)) return 'must be from 1990-01-01 to 2100-12-31';
  return undefined;
}

export function isIsoTimestamp(value: unknown): value is string {
  return timestampProblem(value) === undefined;
}

export const UNSAFE_TEXT = 'must not contain NUL characters or unpaired surrogates';
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Postgres refuses NUL in text and jsonb, and unpaired surrogates cannot be encoded as UTF-8. */
export function isSafeText(value: string): boolean {
  return !value.includes('\u0000') && !UNPAIRED_SURROGATE.test(value);
}

/** Every string in a decoded JSON value (keys included) is safe text. */
export function isSafeJson(value: unknown): boolean {
  if (typeof value === 'string') return isSafeText(value);
  if (Array.isArray(value)) return value.every(isSafeJson);
  if (isPlainObject(value)) return Object.entries(value).every(([key, item]) => isSafeText(key) && isSafeJson(item));
  return true;
}

/** Date.parse rolls impossible days over (2025-02-30 becomes March 2), so the day is checked against its month. */
function isCalendarDate(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return daysInMonth !== undefined && day >= 1 && day <= daysInMonth;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const PATCH_ID = /^KB\d{6,8}$/;
export const CVE_ID = /^CVE-\d{4}-\d{4,7}$/;
export const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const HOSTNAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/;
export const ERROR_CODE = /^0x[0-9a-fA-F]{8}$/;
