import { isBuild, isIsoTimestamp, isSafeJson, isSafeText, parseRetire, parseRevokePatch, timestampProblem } from '@patchstate/domain';
import { decodeCursor, isString, parseAsOf, parseAuditLogQuery, parseTimelineQuery } from '@patchstate/read-models';

/** Issue 14 item 1: the one rule for text, times, builds and cursors that REST and gRPC share. */
const cursor = (json: string) => Buffer.from(json, 'utf8').toString('base64url');

describe('the input boundary', () => {
  it('refuses NUL and unpaired surrogates in text, keeps paired ones (emoji)', () => {
    expect(isSafeText('boot loop 🔁')).toBe(true);
    for (const bad of ['a\u0000b', 'a\ud800b', 'a\udc00', '\ud83d']) expect(isSafeText(bad)).toBe(false);
    expect(isSafeJson({ key: ['ok', { deeper: 'a\u0000' }] })).toBe(false);
    expect(isSafeJson({ ['k\u0000']: 1 })).toBe(false);
    expect(() => parseRevokePatch({ reason: 'a\u0000' })).toThrow('reason');
    expect(() => parseRetire({ reason: 'a\ud800' })).toThrow('reason');
  });

  it('accepts times from 1990-01-01 to 2100-12-31 only', () => {
    expect(isIsoTimestamp('1990-01-01T00:00:00Z')).toBe(true);
    expect(isIsoTimestamp('2100-12-31T23:59:59Z')).toBe(true);
    expect(timestampProblem('0000-01-01T00:00:00Z')).toBe('must be from 1990-01-01 to 2100-12-31');
    expect(isIsoTimestamp('1989-12-31T23:59:59Z')).toBe(false);
    expect(isIsoTimestamp('2101-01-01T00:00:00Z')).toBe(false);
    expect(() => parseAsOf('0000-01-01T00:00:00Z')).toThrow();
  });

  it('refuses a build whose major is 0', () => {
    expect(isBuild('0.0')).toBe(false);
    expect(isBuild('0.5')).toBe(false);
    expect(isBuild('1.0')).toBe(true);
  });

  it('refuses cursors that would fail in Postgres', () => {
    expect(() => decodeCursor(cursor('"a\\u0000b"'), isString)).toThrow('cursor');
    expect(() => parseAuditLogQuery({ cursor: cursor('{"afterPosition":"9223372036854775808"}') })).toThrow('cursor');
    expect(parseAuditLogQuery({ cursor: cursor('{"afterPosition":"9223372036854775807"}') }).afterPosition).toBe('9223372036854775807');
    for (const version of ['2147483648', '1e300']) {
      expect(() => parseTimelineQuery({ deviceId: 'd', cursor: cursor(`{"afterVersion":${version}}`) })).toThrow('cursor');
    }
    expect(parseTimelineQuery({ deviceId: 'd', cursor: cursor('{"afterVersion":2147483647}') }).afterVersion).toBe(2147483647);
  });
});
