import { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@patchstate/event-store';
import {
  APRIL_2025_BASELINE,
  FEBRUARY_2025_HOTPATCH,
  JANUARY_2025_BASELINE,
  MARCH_2025_HOTPATCH,
  MAY_2025_HOTPATCH,
  SEPTEMBER_2025_CUMULATIVE,
  aDeviceProfile,
  aHotpatch,
} from '../builders';
import { HttpResult, http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';

/**
 * Every command endpoint of issue 3 over REST, with every status and error code: what is accepted appends events
 * and answers with ETag (stream version) and X-Position; what is refused appends nothing.
 */
describe('commands over REST', () => {
  let stack: TestStack;
  let db: DataSource;

  const post = (path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> =>
    http(stack.baseUrl, 'POST', path, body, headers);

  const storeMark = async (): Promise<{ events: number; position: string }> => {
    const [row] = await db.query('SELECT count(*)::int AS events, (SELECT last_position::text FROM event_store_position) AS position FROM events');
    return row;
  };

  /** Posts, expects `status` and `code`, and checks that nothing at all was appended. */
  async function refused(path: string, body: unknown, status: number, code: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    const before = await storeMark();
    const result = await post(path, body, headers);
    expect({ path, status: result.status, code: result.body?.code }).toEqual({ path, status, code });
    // RFC 9457 members (problem-details.e2e.spec.ts) beside the code, message and details clients read.
    expect(Object.keys(result.body).sort()).toEqual(['code', 'detail', 'details', 'instance', 'message', 'status', 'title', 'type']);
    expect(typeof result.body.message).toBe('string');
    expect(await storeMark()).toEqual(before);
    return result;
  }

  /** Posts, expects 201 with the given event types, and checks ETag, X-Position and the stored events. */
  async function accepted(path: string, body: unknown, types: string[], headers: Record<string, string> = {}): Promise<HttpResult> {
    const before = await storeMark();
    const result = await post(path, body, headers);
    expect({ path, status: result.status, body: result.body }).toMatchObject({ path, status: 201 });
    const { streamId, version, position, events } = result.body;
    expect(events.map((e: { type: string }) => e.type)).toEqual(types);
    expect(result.headers.get('etag')).toBe(`"${version}"`);
    expect(result.headers.get('x-position')).toBe(position);
    expect(BigInt(position)).toBe(BigInt(before.position) + BigInt(types.length));
    const stored: { event_id: string; stream_id: string; version: number; position: string }[] = await db.query(
      'SELECT event_id, stream_id, version, position FROM events WHERE position > $1 ORDER BY position',
      [before.position],
    );
    expect(stored).toEqual(
      events.map((e: { eventId: string; version: number; position: string }) => ({ event_id: e.eventId, stream_id: streamId, version: e.version, position: e.position })),
    );
    return result;
  }

  const deviceBody = (deviceId: string, profile = {}) => ({ deviceId, hostname: `${deviceId}.corp.example`, profile: aDeviceProfile(profile) });
  const register = (deviceId: string, profile = {}) => accepted('/v1/devices', deviceBody(deviceId, profile), ['DeviceRegistered']);
  const fieldsOf = (result: HttpResult): string[] => result.body.details.fields.map((f: { field: string }) => f.field).sort();

  beforeAll(async () => {
    stack = await startTestStack({ projector: false });
    db = stack.api.get(DATA_SOURCE);
    for (const patch of [JANUARY_2025_BASELINE, FEBRUARY_2025_HOTPATCH, MARCH_2025_HOTPATCH, APRIL_2025_BASELINE, MAY_2025_HOTPATCH, SEPTEMBER_2025_CUMULATIVE]) {
      await accepted('/v1/patches', patch, ['PatchPublished']);
    }
  });

  afterAll(async () => {
    await stack?.close();
  });

  describe('POST /v1/patches and /v1/patches/{patchId}/revoke', () => {
    it('201 PatchPublished, 409 PATCH_EXISTS, 201 PatchRevoked, 409 ALREADY_REVOKED, 404 PATCH_NOT_FOUND', async () => {
      const patch = aHotpatch({ patchId: 'KB5999001', build: '26100.3100' });
      const published = await accepted('/v1/patches', patch, ['PatchPublished']);
      expect(published.body).toMatchObject({ streamId: 'patch-KB5999001', version: 1, events: [{ data: { patchId: 'KB5999001', kind: 'hotpatch' } }] });
      await refused('/v1/patches', patch, 409, 'PATCH_EXISTS');
      const revoked = await accepted('/v1/patches/KB5999001/revoke', { reason: 'boot loop on some devices' }, ['PatchRevoked']);
      expect(revoked.headers.get('etag')).toBe('"2"');
      await refused('/v1/patches/KB5999001/revoke', { reason: 'again' }, 409, 'ALREADY_REVOKED');
      await refused('/v1/patches/KB5999999/revoke', { reason: 'never published' }, 404, 'PATCH_NOT_FOUND');
    });

    it('400 VALIDATION_FAILED naming every bad field of a patch definition', async () => {
      const result = await refused(
        '/v1/patches',
        {
          patchId: '5052093',
          kind: 'monthly',
          build: '26100',
          releasedAt: '2025-02-30T18:00:00Z',
          architectures: ['x86'],
          cves: ['CVE-25-1'],
          supersedes: 'KB5050009',
          vendor: 'contoso',
        },
        400,
        'VALIDATION_FAILED',
      );
      expect(fieldsOf(result)).toEqual(['architectures[0]', 'build', 'cves[0]', 'kind', 'patchId', 'releasedAt', 'supersedes', 'vendor'].sort());
    });

    it('400 for a malformed patch id in the path and for a missing revoke reason', async () => {
      expect(fieldsOf(await refused('/v1/patches/KB12/revoke', { reason: 'x' }, 400, 'VALIDATION_FAILED'))).toEqual(['patchId']);
      expect(fieldsOf(await refused('/v1/patches/KB5052093/revoke', { why: 'x' }, 400, 'VALIDATION_FAILED'))).toEqual(['reason', 'why']);
    });
  });

  describe('POST /v1/devices', () => {
    it('201 DeviceRegistered with the registration time, then 409 DEVICE_EXISTS', async () => {
      const result = await accepted('/v1/devices', { ...deviceBody('reg-001'), registeredAt: '2025-01-20T08:00:00+01:00' }, ['DeviceRegistered']);
      expect(result.body).toMatchObject({
        streamId: 'device-reg-001',
        version: 1,
        events: [{ version: 1, data: { deviceId: 'reg-001', profile: aDeviceProfile(), registeredAt: '2025-01-20T08:00:00+01:00' } }],
      });
      expect(result.body.events[0].eventId).toMatch(/^[0-9a-f-]{36}$/);
      const duplicate = await refused('/v1/devices', deviceBody('reg-001'), 409, 'DEVICE_EXISTS');
      expect(duplicate.body.details).toEqual({ deviceId: 'reg-001' });
    });

    it('400 VALIDATION_FAILED naming every bad field: unknown fields, malformed id, bad date, bad profile', async () => {
      const result = await refused(
        '/v1/devices',
        {
          deviceId: '-not an id',
          hostname: 'has spaces.example',
          registeredAt: '2025-02-30T10:00:00Z',
          owner: 'finance',
          profile: {
            product: 'windows-10',
            edition: 'home',
            architecture: 'x86',
            build: '26100',
            vbs: 'maybe',
            chpeDisabled: 'no',
            hotpatchEnabled: 1,
            colour: 'blue',
          },
        },
        400,
        'VALIDATION_FAILED',
      );
      expect(fieldsOf(result)).toEqual(
        [
          'deviceId',
          'hostname',
          'registeredAt',
          'owner',
          'profile.product',
          'profile.edition',
          'profile.architecture',
          'profile.build',
          'profile.vbs',
          'profile.chpeDisabled',
          'profile.hotpatchEnabled',
          'profile.colour',
        ].sort(),
      );
      for (const field of result.body.details.fields) expect(field.message).toEqual(expect.any(String));
    });

    it.each([
      ['a date without a zone', '2025-01-20T08:00:00'],
      ['a date with a space', '2025-01-20 08:00:00Z'],
      ['an impossible date', '2025-13-01T08:00:00Z'],
      ['not a date', 'yesterday'],
      ['a number', 1737360000],
    ])('400 for registeredAt as %s', async (_, registeredAt) => {
      expect(fieldsOf(await refused('/v1/devices', { ...deviceBody('reg-dates'), registeredAt }, 400, 'VALIDATION_FAILED'))).toEqual(['registeredAt']);
    });

    it('400 for a missing profile and missing required fields', async () => {
      expect(fieldsOf(await refused('/v1/devices', {}, 400, 'VALIDATION_FAILED'))).toEqual(['deviceId', 'hostname', 'profile']);
      const result = await refused('/v1/devices', { deviceId: 'reg-partial', hostname: 'reg-partial', profile: { product: 'windows-11' } }, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(result)).toEqual(['profile.architecture', 'profile.build', 'profile.edition', 'profile.hotpatchEnabled', 'profile.vbs']);
    });

    it('400 for malformed JSON, a JSON value that is not an object, another content type, and a body over 64kb', async () => {
      await refused('/v1/devices', '{"deviceId": "reg-broken", ', 400, 'VALIDATION_FAILED');
      await refused('/v1/devices', '[1, 2, 3]', 400, 'VALIDATION_FAILED');
      await refused('/v1/devices', '"reg-string"', 400, 'VALIDATION_FAILED');
      await refused('/v1/devices', 'deviceId=reg-form', 400, 'VALIDATION_FAILED', { 'content-type': 'application/x-www-form-urlencoded' });
      const oversize = await refused('/v1/devices', { ...deviceBody('reg-oversize'), padding: 'x'.repeat(65 * 1024) }, 400, 'VALIDATION_FAILED');
      expect(oversize.body.details.fields).toEqual([{ field: 'body', message: expect.stringMatching(/too large/) }]);
      // Just under the limit is parsed and validated like any body (the padding is an unknown field).
      const under = await refused('/v1/devices', { ...deviceBody('reg-under'), padding: 'x'.repeat(60 * 1024) }, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(under)).toEqual(['padding']);
      expect((await http(stack.baseUrl, 'GET', '/v1/devices/reg-oversize')).status).toBe(404);
    });
  });

  describe('POST /v1/devices/{id}/profile and /retire', () => {
    it('201 DeviceProfileReported; 400 for a build change or unknown field; 404 DEVICE_NOT_FOUND', async () => {
      await register('prof-001');
      const reported = await accepted('/v1/devices/prof-001/profile', { vbs: 'off', reportedAt: '2025-03-01T10:00:00Z' }, ['DeviceProfileReported']);
      expect(reported.body).toMatchObject({ version: 2, events: [{ data: { changes: { vbs: 'off' }, profile: { vbs: 'off', edition: 'enterprise' }, reportedAt: '2025-03-01T10:00:00Z' } }] });
      const bad = await refused('/v1/devices/prof-001/profile', { build: '26100.4000', vbs: 'sometimes', shoeSize: 44 }, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(bad)).toEqual(['build', 'shoeSize', 'vbs']);
      expect(fieldsOf(await refused('/v1/devices/prof-001/profile', {}, 400, 'VALIDATION_FAILED'))).toEqual(['body']);
      await refused('/v1/devices/prof-nobody/profile', { vbs: 'off' }, 404, 'DEVICE_NOT_FOUND');
    });

    it('201 DeviceRetired; then 409 DEVICE_RETIRED for other commands and 422 NOT_ELIGIBLE (DEVICE_RETIRED) for a hotpatch', async () => {
      await register('ret-001');
      const retired = await accepted('/v1/devices/ret-001/retire', { reason: 'stolen', retiredAt: '2025-03-02T10:00:00Z' }, ['DeviceRetired']);
      expect(retired.body.events[0].data).toEqual({ deviceId: 'ret-001', reason: 'stolen', retiredAt: '2025-03-02T10:00:00Z' });
      await refused('/v1/devices/ret-001/retire', {}, 409, 'DEVICE_RETIRED');
      await refused('/v1/devices/ret-001/profile', { vbs: 'off' }, 409, 'DEVICE_RETIRED');
      await refused('/v1/devices/ret-001/reboots', {}, 409, 'DEVICE_RETIRED');
      const rejected = await post('/v1/devices/ret-001/hotpatches', { patchId: 'KB5052093' });
      expect(rejected.status).toBe(422);
      expect(rejected.body.details.reasons).toEqual(['DEVICE_RETIRED']);
      await refused('/v1/devices/ret-nobody/retire', {}, 404, 'DEVICE_NOT_FOUND');
      expect(fieldsOf(await refused('/v1/devices/ret-001/retire', { reason: 42, when: 'now' }, 400, 'VALIDATION_FAILED'))).toEqual(['reason', 'when']);
    });
  });

  describe('POST /v1/devices/{id}/hotpatches', () => {
    it('201 HotpatchApplied in memory, then 409 ALREADY_APPLIED', async () => {
      await register('hp-001');
      const applied = await accepted('/v1/devices/hp-001/hotpatches', { patchId: 'KB5052093', appliedAt: '2025-02-12T09:00:00Z' }, ['HotpatchApplied']);
      expect(applied.body).toMatchObject({
        version: 2,
        events: [{ data: { deviceId: 'hp-001', patchId: 'KB5052093', build: '26100.3032', baselineBuild: '26100.2894', cves: FEBRUARY_2025_HOTPATCH.cves, appliedAt: '2025-02-12T09:00:00Z' } }],
      });
      const again = await refused('/v1/devices/hp-001/hotpatches', { patchId: 'KB5052093' }, 409, 'ALREADY_APPLIED');
      expect(again.body.details).toEqual({ deviceId: 'hp-001', patchId: 'KB5052093' });
    });

    it('422 NOT_ELIGIBLE with every reason and the position of the recorded HotpatchRejected', async () => {
      await register('hp-ineligible', { edition: 'pro', vbs: 'enabled', architecture: 'arm64', chpeDisabled: false, hotpatchEnabled: false });
      const before = await storeMark();
      const rejected = await post('/v1/devices/hp-ineligible/hotpatches', { patchId: 'KB5058497' });
      expect(rejected.status).toBe(422);
      // The RFC 9457 members beside these: problem-details.e2e.spec.ts.
      expect(rejected.body).toMatchObject({
        code: 'NOT_ELIGIBLE',
        message: expect.stringContaining('KB5058497'),
        details: {
          reasons: ['VBS_NOT_RUNNING', 'UNSUPPORTED_EDITION', 'CHPE_ENABLED', 'HOTPATCH_DISABLED', 'BASELINE_MISMATCH'],
          patchId: 'KB5058497',
          eventId: expect.any(String),
          streamId: 'device-hp-ineligible',
          version: 2,
          position: String(BigInt(before.position) + 1n),
        },
      });
      expect(rejected.headers.get('etag')).toBe('"2"');
      expect(rejected.headers.get('x-position')).toBe(rejected.body.details.position);
      // The rejection is recorded for audit, at that position, and changes nothing else.
      const [event] = await db.query('SELECT event_id, type, version, data FROM events WHERE position = $1', [rejected.body.details.position]);
      expect(event).toEqual({ event_id: rejected.body.details.eventId, type: 'HotpatchRejected', version: 2, data: expect.objectContaining({ reasons: rejected.body.details.reasons }) });
      expect(await storeMark()).toEqual({ events: before.events + 1, position: rejected.body.details.position });
    });

    it('404 DEVICE_NOT_FOUND, 404 PATCH_NOT_FOUND, 422 WRONG_PATCH_KIND for a baseline', async () => {
      await register('hp-404');
      await refused('/v1/devices/hp-nobody/hotpatches', { patchId: 'KB5052093' }, 404, 'DEVICE_NOT_FOUND');
      const missing = await refused('/v1/devices/hp-404/hotpatches', { patchId: 'KB5099999' }, 404, 'PATCH_NOT_FOUND');
      expect(missing.body.details).toEqual({ patchId: 'KB5099999' });
      await refused('/v1/devices/hp-404/hotpatches', { patchId: 'KB5050009' }, 422, 'WRONG_PATCH_KIND');
    });

    it('400 naming every bad field: unknown field, malformed patch id, bad date, malformed device id in the path', async () => {
      await register('hp-400');
      const bad = await refused('/v1/devices/hp-400/hotpatches', { patchId: '5052093', appliedAt: '2025-02-12', force: true }, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(bad)).toEqual(['appliedAt', 'force', 'patchId']);
      expect(fieldsOf(await refused('/v1/devices/hp-400/hotpatches', {}, 400, 'VALIDATION_FAILED'))).toEqual(['patchId']);
      expect(fieldsOf(await refused('/v1/devices/-hp-400/hotpatches', { patchId: 'KB5052093' }, 400, 'VALIDATION_FAILED'))).toEqual(['deviceId']);
      expect(fieldsOf(await refused(`/v1/devices/${'d'.repeat(129)}/hotpatches`, { patchId: 'KB5052093' }, 400, 'VALIDATION_FAILED'))).toEqual(['deviceId']);
    });

    it('names a bad path id and bad body fields together', async () => {
      const result = await refused('/v1/devices/-bad-id/hotpatches', { patchId: 'nope', colour: 'red' }, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(result)).toEqual(['colour', 'deviceId', 'patchId']);
      const revert = await refused('/v1/devices/-bad-id/hotpatches/KB-1/revert', { revertedAt: 'soon' }, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(revert)).toEqual(['deviceId', 'patchId', 'revertedAt']);
      const revoke = await refused('/v1/patches/KB-1/revoke', { because: 'x' }, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(revoke)).toEqual(['because', 'patchId', 'reason']);
    });
  });

  describe('If-Match', () => {
    it('412 VERSION_CONFLICT when the stream moved on; 201 when it matches; 400 when malformed', async () => {
      await register('im-001');
      await accepted('/v1/devices/im-001/hotpatches', { patchId: 'KB5052093' }, ['HotpatchApplied']);
      const conflict = await refused('/v1/devices/im-001/hotpatches', { patchId: 'KB5053636' }, 412, 'VERSION_CONFLICT', { 'if-match': '"1"' });
      expect(conflict.body.details).toEqual({ streamId: 'device-im-001', expectedVersion: 1, actualVersion: 2 });
      const ok = await accepted('/v1/devices/im-001/hotpatches', { patchId: 'KB5053636' }, ['HotpatchApplied'], { 'if-match': '"2"' });
      expect(ok.headers.get('etag')).toBe('"3"');
      await accepted('/v1/devices/im-001/reboots', {}, ['DeviceRebooted'], { 'if-match': 'W/"3"' });
      expect(fieldsOf(await refused('/v1/devices/im-001/reboots', {}, 400, 'VALIDATION_FAILED', { 'if-match': 'three' }))).toEqual(['If-Match']);
      // A new device is at version 0.
      await refused('/v1/devices', deviceBody('im-002'), 412, 'VERSION_CONFLICT', { 'if-match': '"1"' });
      await accepted('/v1/devices', deviceBody('im-002'), ['DeviceRegistered'], { 'if-match': '"0"' });
    });
  });

  describe('X-Correlation-Id', () => {
    it('is recorded on the events and echoed; a malformed one is 400', async () => {
      const result = await accepted('/v1/devices', deviceBody('corr-001'), ['DeviceRegistered'], { 'x-correlation-id': 'rollout-2025-02:wave-1' });
      expect(result.headers.get('x-correlation-id')).toBe('rollout-2025-02:wave-1');
      const [row] = await db.query(`SELECT correlation_id, metadata->>'correlationId' AS in_metadata FROM events WHERE stream_id = 'device-corr-001'`);
      expect(row).toEqual({ correlation_id: 'rollout-2025-02:wave-1', in_metadata: 'rollout-2025-02:wave-1' });
      expect(fieldsOf(await refused('/v1/devices', deviceBody('corr-002'), 400, 'VALIDATION_FAILED', { 'x-correlation-id': 'not/allowed here' }))).toEqual(['X-Correlation-Id']);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the same body for the same key and request, appending nothing; 409 IDEMPOTENCY_KEY_REUSED for another request', async () => {
      await register('idem-001');
      const key = `apply-${Date.now()}`;
      const first = await accepted('/v1/devices/idem-001/hotpatches', { patchId: 'KB5052093' }, ['HotpatchApplied'], { 'idempotency-key': key });
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const before = await storeMark();
      const replay = await post('/v1/devices/idem-001/hotpatches', { patchId: 'KB5052093' }, { 'idempotency-key': key });
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(replay.headers.get('x-position')).toBe(first.headers.get('x-position'));
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await storeMark()).toEqual(before);

      const reused = await refused('/v1/devices/idem-001/hotpatches', { patchId: 'KB5053636' }, 409, 'IDEMPOTENCY_KEY_REUSED', { 'idempotency-key': key });
      expect(reused.body.details).toEqual({ key });
      await refused('/v1/devices/idem-001/failures', { patchId: 'KB5052093', errorCode: '0x800f0922' }, 409, 'IDEMPOTENCY_KEY_REUSED', { 'idempotency-key': key });
      expect(fieldsOf(await refused('/v1/devices/idem-001/reboots', {}, 400, 'VALIDATION_FAILED', { 'idempotency-key': 'has spaces' }))).toEqual(['Idempotency-Key']);
    });

    it('replays a 422 NOT_ELIGIBLE with the same body, without recording a second rejection', async () => {
      await register('idem-422', { vbs: 'off' });
      const key = `reject-${Date.now()}`;
      const first = await post('/v1/devices/idem-422/hotpatches', { patchId: 'KB5052093' }, { 'idempotency-key': key });
      expect(first.status).toBe(422);
      const before = await storeMark();
      const replay = await post('/v1/devices/idem-422/hotpatches', { patchId: 'KB5052093' }, { 'idempotency-key': key });
      expect({ status: replay.status, body: replay.body }).toEqual({ status: 422, body: first.body });
      expect(await storeMark()).toEqual(before);
    });

    it('concurrent requests with one key: one event, the same body for everyone', async () => {
      const key = `concurrent-${Date.now()}`;
      const results = await Promise.all(Array.from({ length: 6 }, () => post('/v1/devices', deviceBody('idem-concurrent'), { 'idempotency-key': key })));
      for (const result of results) expect({ status: result.status, body: result.body }).toEqual({ status: 201, body: results[0].body });
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = 'device-idem-concurrent'`);
      expect(n).toBe(1);
    });
  });

  describe('POST /v1/devices/{id}/reboots, /updates, /hotpatches/{patchId}/revert, /failures', () => {
    it('reboot commits, stage is disk-ahead, the next reboot activates it and supersedes the old hotpatches, revert waits for the reboot', async () => {
      await register('life-001');
      await accepted('/v1/devices/life-001/hotpatches', { patchId: 'KB5052093' }, ['HotpatchApplied']);
      const reboot = await accepted('/v1/devices/life-001/reboots', { rebootedAt: '2025-02-15T22:00:00Z', bootId: 'boot-1' }, ['DeviceRebooted']);
      expect(reboot.body.events[0].data).toMatchObject({ bootId: 'boot-1', rebootedAt: '2025-02-15T22:00:00Z', committed: ['KB5052093'], activated: null, build: '26100.3032' });

      const staged = await accepted('/v1/devices/life-001/updates', { patchId: 'KB5055523', stagedAt: '2025-04-09T10:00:00Z' }, ['UpdateStaged']);
      expect(staged.body.events[0].data).toMatchObject({ patchId: 'KB5055523', kind: 'baseline', build: '26100.3775', replaces: null });
      // Staged but not running: the April hotpatch does not apply yet.
      const early = await post('/v1/devices/life-001/hotpatches', { patchId: 'KB5058497' });
      expect({ status: early.status, reasons: early.body.details?.reasons }).toEqual({ status: 422, reasons: ['BASELINE_MISMATCH'] });

      const activation = await accepted('/v1/devices/life-001/reboots', {}, ['DeviceRebooted']);
      expect(activation.body.events[0].data).toMatchObject({ activated: { patchId: 'KB5055523' }, superseded: ['KB5052093'], build: '26100.3775', bootId: null });
      await accepted('/v1/devices/life-001/hotpatches', { patchId: 'KB5058497' }, ['HotpatchApplied']);
      const reverted = await accepted('/v1/devices/life-001/hotpatches/KB5058497/revert', { revertedAt: '2025-05-14T10:00:00Z' }, ['HotpatchReverted']);
      expect(reverted.body.events[0].data).toEqual({ deviceId: 'life-001', patchId: 'KB5058497', revertedAt: '2025-05-14T10:00:00Z', leavesDiskAtReboot: false, leavesMemoryAtReboot: true });
      const failed = await accepted('/v1/devices/life-001/failures', { patchId: 'KB5058497', errorCode: '0x800F0922', failedAt: '2025-05-14T11:00:00Z' }, ['HotpatchFailed']);
      expect(failed.body.events[0].data).toEqual({ deviceId: 'life-001', patchId: 'KB5058497', errorCode: '0x800f0922', failedAt: '2025-05-14T11:00:00Z' });
      // The stream holds exactly what was accepted, in order.
      const types = (await db.query(`SELECT type FROM events WHERE stream_id = 'device-life-001' ORDER BY version`)).map((r: { type: string }) => r.type);
      expect(types).toEqual(['DeviceRegistered', 'HotpatchApplied', 'DeviceRebooted', 'UpdateStaged', 'HotpatchRejected', 'DeviceRebooted', 'HotpatchApplied', 'HotpatchReverted', 'HotpatchFailed']);
    });

    it('reboots: 404 for an unknown device, 400 for bad fields', async () => {
      await register('boot-400');
      await refused('/v1/devices/boot-nobody/reboots', {}, 404, 'DEVICE_NOT_FOUND');
      expect(fieldsOf(await refused('/v1/devices/boot-400/reboots', { rebootedAt: 'tonight', bootId: 'has spaces', reason: 'x' }, 400, 'VALIDATION_FAILED'))).toEqual([
        'bootId',
        'reason',
        'rebootedAt',
      ]);
    });

    it('updates: 409 UPDATE_NOT_NEWER, 422 WRONG_PATCH_KIND, 422 PATCH_REVOKED, 422 NOT_ELIGIBLE (architecture), 404s, 400', async () => {
      await register('upd-001');
      await refused('/v1/devices/upd-001/updates', { patchId: 'KB5050009' }, 409, 'UPDATE_NOT_NEWER');
      await refused('/v1/devices/upd-001/updates', { patchId: 'KB5052093' }, 422, 'WRONG_PATCH_KIND');
      await accepted('/v1/patches', { ...SEPTEMBER_2025_CUMULATIVE, patchId: 'KB5999002', builds: { '24H2': '26100.6600' } }, ['PatchPublished']);
      await accepted('/v1/patches/KB5999002/revoke', { reason: 'pulled' }, ['PatchRevoked']);
      await refused('/v1/devices/upd-001/updates', { patchId: 'KB5999002' }, 422, 'PATCH_REVOKED');
      await accepted('/v1/patches', { ...SEPTEMBER_2025_CUMULATIVE, patchId: 'KB5999003', builds: { '24H2': '26100.6601' }, architectures: ['arm64'] }, ['PatchPublished']);
      const arch = await refused('/v1/devices/upd-001/updates', { patchId: 'KB5999003' }, 422, 'NOT_ELIGIBLE');
      expect(arch.body.details.reasons).toEqual(['ARCHITECTURE_NOT_SUPPORTED']);
      await refused('/v1/devices/upd-001/updates', { patchId: 'KB5099999' }, 404, 'PATCH_NOT_FOUND');
      await refused('/v1/devices/upd-nobody/updates', { patchId: 'KB5065426' }, 404, 'DEVICE_NOT_FOUND');
      expect(fieldsOf(await refused('/v1/devices/upd-001/updates', { patchId: 'KB1', stagedAt: '2025-04-31T00:00:00Z' }, 400, 'VALIDATION_FAILED'))).toEqual(['patchId', 'stagedAt']);
      // Staging a newer update replaces the staged one before any restart.
      await accepted('/v1/devices/upd-001/updates', { patchId: 'KB5055523' }, ['UpdateStaged']);
      const replaced = await accepted('/v1/devices/upd-001/updates', { patchId: 'KB5065426' }, ['UpdateStaged']);
      expect(replaced.body.events[0].data).toMatchObject({ patchId: 'KB5065426', kind: 'lcu', replaces: 'KB5055523' });
    });

    it('revert: 409 HOTPATCH_NOT_INSTALLED, 404 DEVICE_NOT_FOUND, 400 for a malformed patch id or unknown field', async () => {
      await register('rev-001');
      await refused('/v1/devices/rev-001/hotpatches/KB5052093/revert', {}, 409, 'HOTPATCH_NOT_INSTALLED');
      await refused('/v1/devices/rev-nobody/hotpatches/KB5052093/revert', {}, 404, 'DEVICE_NOT_FOUND');
      expect(fieldsOf(await refused('/v1/devices/rev-001/hotpatches/KB-1/revert', {}, 400, 'VALIDATION_FAILED'))).toEqual(['patchId']);
      expect(fieldsOf(await refused('/v1/devices/rev-001/hotpatches/KB5052093/revert', { revertedAt: 'now', undo: true }, 400, 'VALIDATION_FAILED'))).toEqual(['revertedAt', 'undo']);
      // Committed on disk: reverting leaves memory now and the disk at the next reboot.
      await accepted('/v1/devices/rev-001/hotpatches', { patchId: 'KB5052093' }, ['HotpatchApplied']);
      await accepted('/v1/devices/rev-001/reboots', {}, ['DeviceRebooted']);
      const reverted = await accepted('/v1/devices/rev-001/hotpatches/KB5052093/revert', {}, ['HotpatchReverted']);
      expect(reverted.body.events[0].data).toMatchObject({ leavesDiskAtReboot: true });
      const reboot = await accepted('/v1/devices/rev-001/reboots', {}, ['DeviceRebooted']);
      expect(reboot.body.events[0].data).toMatchObject({ removed: ['KB5052093'], committed: [], build: '26100.2894' });
    });

    it('failures: 404 PATCH_NOT_FOUND and DEVICE_NOT_FOUND, 422 WRONG_PATCH_KIND, 400 naming errorCode and unknown fields', async () => {
      await register('fail-001');
      await refused('/v1/devices/fail-001/failures', { patchId: 'KB5099999', errorCode: '0x800f0922' }, 404, 'PATCH_NOT_FOUND');
      await refused('/v1/devices/fail-nobody/failures', { patchId: 'KB5052093', errorCode: '0x800f0922' }, 404, 'DEVICE_NOT_FOUND');
      await refused('/v1/devices/fail-001/failures', { patchId: 'KB5050009', errorCode: '0x800f0922' }, 422, 'WRONG_PATCH_KIND');
      expect(fieldsOf(await refused('/v1/devices/fail-001/failures', { patchId: 'KB5052093', errorCode: 'E_FAIL', severity: 'high' }, 400, 'VALIDATION_FAILED'))).toEqual([
        'errorCode',
        'severity',
      ]);
      expect(fieldsOf(await refused('/v1/devices/fail-001/failures', {}, 400, 'VALIDATION_FAILED'))).toEqual(['errorCode', 'patchId']);
    });
  });
});
