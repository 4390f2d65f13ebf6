import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { PatchDefinition } from '@patchstate/domain';
import { DATA_SOURCE } from '@patchstate/event-store';
import { FEBRUARY_2025_HOTPATCH, JANUARY_2025_BASELINE, MARCH_2025_HOTPATCH, aDeviceProfile } from '../builders';
import { http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';
import { LONG_HISTORY_ACTOR, appendLongHistory } from './audit-long-history';

/** A catalog entry as a REST body: absent, not null, is how a client leaves a field out. */
function publishBody(patch: PatchDefinition): Record<string, unknown> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== null));
}

interface AuditItem {
  position: string;
  streamId: string;
  version: number;
  type: string;
  occurredAt: string;
  recordedAt: string;
  actor: { id: string; role: string };
  correlationId: string;
  causationId: string | null;
  data: any;
  hash: string;
  prevHash: string | null;
}

/** Reads an ndjson response line by line as it arrives, without waiting for the whole body. */
async function readNdjson(response: Response, onLine: (item: AuditItem) => void): Promise<void> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line !== '') onLine(JSON.parse(line));
  }
  if (buffered.trim() !== '') onLine(JSON.parse(buffered));
}

describe('audit queries over REST: timeline, fleet audit log, hash-chain verification', () => {
  let stack: TestStack;
  // The actor of every event is the API key that sent the command: one for the devices' agent, one operator.
  const operator = () => ({ authorization: `Bearer ${stack.keys.operator}`, 'X-Correlation-Id': 'change-2025-02' });
  const agent = () => ({ authorization: `Bearer ${stack.keys['device-agent']}` });
  const auditor = () => ({ authorization: `Bearer ${stack.keys.auditor}` });
  const AGENT = { id: 'test-device-agent', role: 'device-agent' };

  async function command(path: string, body: unknown, headers: Record<string, string>): Promise<void> {
    const result = await http(stack.baseUrl, 'POST', path, body, headers);
    if (result.status !== 201 && result.status !== 422) throw new Error(`${path}: ${result.status} ${JSON.stringify(result.body)}`);
  }

  async function allPages(path: string, limit: number): Promise<{ items: AuditItem[]; pages: number }> {
    const items: AuditItem[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page: { status: number; body: { items: AuditItem[]; nextCursor: string | null } } = await http(
        stack.baseUrl,
        'GET',
        `${path}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        undefined,
        auditor(),
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor !== null);
    return { items, pages };
  }

  beforeAll(async () => {
    stack = await startTestStack({ projector: false, env: { GRPC_PORT: '0', GRPC_HOST: '127.0.0.1' } });
    for (const patch of [JANUARY_2025_BASELINE, FEBRUARY_2025_HOTPATCH, MARCH_2025_HOTPATCH]) {
      await command('/v1/patches', publishBody(patch), operator());
    }
    await command('/v1/devices', { deviceId: 'ws-0001', hostname: 'ws-0001.corp.contoso.example', profile: aDeviceProfile() }, agent());
    await command('/v1/devices', { deviceId: 'ws-0002', hostname: 'ws-0002.corp.contoso.example', profile: aDeviceProfile({ edition: 'pro' }) }, agent());
    await command('/v1/devices/ws-0001/hotpatches', { patchId: 'KB5052093', appliedAt: '2025-02-11T19:00:00Z' }, agent());
    await command('/v1/devices/ws-0002/hotpatches', { patchId: 'KB5052093' }, agent());
    await command('/v1/devices/ws-0001/reboots', { bootId: 'boot-1' }, agent());
    await command('/v1/devices/ws-0001/failures', { patchId: 'KB5053636', errorCode: '0x800f0922' }, agent());
    await command('/v1/devices/ws-0001/hotpatches', { patchId: 'KB5053636' }, agent());
    await command('/v1/devices/ws-0001/profile', { vbs: 'enabled' }, agent());
    await command('/v1/devices/ws-0001/hotpatches/KB5053636/revert', {}, operator());
  });

  afterAll(async () => {
    await stack?.close();
  });

  describe('GET /v1/devices/{id}/timeline', () => {
    it("answers a device's events oldest first, each linked to the one before by its hash", async () => {
      const { status, body } = await http(stack.baseUrl, 'GET', '/v1/devices/ws-0001/timeline');
      expect(status).toBe(200);
      expect(body.nextCursor).toBeNull();
      expect(body.items.map((e: AuditItem) => [e.version, e.type])).toEqual([
        [1, 'DeviceRegistered'],
        [2, 'HotpatchApplied'],
        [3, 'DeviceRebooted'],
        [4, 'HotpatchFailed'],
        [5, 'HotpatchApplied'],
        [6, 'DeviceProfileReported'],
        [7, 'HotpatchReverted'],
      ]);
      const [registered, applied] = body.items as AuditItem[];
      expect(applied).toEqual({
        position: expect.stringMatching(/^\d+$/),
        streamId: 'device-ws-0001',
        version: 2,
        eventId: expect.any(String),
        type: 'HotpatchApplied',
        occurredAt: '2025-02-11T19:00:00Z',
        recordedAt: expect.any(String),
        actor: AGENT,
        correlationId: expect.any(String),
        causationId: expect.any(String),
        data: expect.objectContaining({ deviceId: 'ws-0001', patchId: 'KB5052093', cves: FEBRUARY_2025_HOTPATCH.cves }),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        prevHash: registered.hash,
      });
      expect(registered.prevHash).toBeNull();
      const items = body.items as AuditItem[];
      items.slice(1).forEach((item, i) => expect(item.prevHash).toBe(items[i].hash));
      expect(items.at(-1)!.actor).toEqual({ id: 'test-operator', role: 'operator' });
    });

    it('pages with an opaque keyset cursor: the pages join up to the whole timeline, nothing twice', async () => {
      const whole = (await http(stack.baseUrl, 'GET', '/v1/devices/ws-0001/timeline')).body.items as AuditItem[];
      const paged = await allPages('/v1/devices/ws-0001/timeline', 2);
      expect(paged.pages).toBe(4);
      expect(paged.items).toEqual(whole);

      const first = await http(stack.baseUrl, 'GET', '/v1/devices/ws-0001/timeline?limit=3');
      expect(first.body.nextCursor).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]+$/));
      // An event appended after the first page was read still shows up, in order, on a later page.
      await command('/v1/devices/ws-0001/profile', { vbs: 'running' }, agent());
      const rest = await allPages(`/v1/devices/ws-0001/timeline?cursor=${first.body.nextCursor}`, 100);
      expect(rest.items.map((e) => e.version)).toEqual([4, 5, 6, 7, 8]);
    });

    it('filters by event type (comma-separated or repeated) and by a recordedAt range', async () => {
      const whole = (await http(stack.baseUrl, 'GET', '/v1/devices/ws-0001/timeline')).body.items as AuditItem[];
      const applied = await http(stack.baseUrl, 'GET', '/v1/devices/ws-0001/timeline?type=HotpatchApplied');
      expect(applied.body.items.map((e: AuditItem) => e.version)).toEqual([2, 5]);
      const twoTypes = await http(stack.baseUrl, 'GET', '/v1/devices/ws-0001/timeline?type=HotpatchApplied,HotpatchReverted');
      const repeated = await http(stack.baseUrl, 'GET', '/v1/devices/ws-0001/timeline?type=HotpatchApplied&type=HotpatchReverted');
      expect(twoTypes.body.items.map((e: AuditItem) => e.version)).toEqual([2, 5, 7]);
      expect(repeated.body).toEqual(twoTypes.body);

      const from = whole[2].recordedAt;
      const to = whole[5].recordedAt;
      const inRange = whole.filter((e) => Date.parse(e.recordedAt) >= Date.parse(from) && Date.parse(e.recordedAt) < Date.parse(to));
      const ranged = await http(stack.baseUrl, 'GET', `/v1/devices/ws-0001/timeline?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
      expect(ranged.status).toBe(200);
      expect(ranged.body.items).toEqual(inRange);
      expect(inRange.map((e) => e.version)).toContain(3);

      const rangedAndTyped = await allPages(`/v1/devices/ws-0001/timeline?from=${encodeURIComponent(from)}&type=HotpatchApplied,DeviceProfileReported`, 1);
      expect(rangedAndTyped.items.map((e) => e.version)).toEqual(
        whole.filter((e) => Date.parse(e.recordedAt) >= Date.parse(from) && ['HotpatchApplied', 'DeviceProfileReported'].includes(e.type)).map((e) => e.version),
      );
    });

    it('refuses bad paging and filters with 400 VALIDATION_FAILED naming every bad field', async () => {
      const bad = await http(stack.baseUrl, 'GET', '/v1/devices/ws-0001/timeline?limit=0&cursor=not-a-cursor&type=HotpatchApplied,Nope&from=yesterday');
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      expect(bad.body.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['cursor', 'from', 'limit', 'type']);
      for (const limit of ['1001', 'abc', '-1', '2.5']) {
        const refused = await http(stack.baseUrl, 'GET', `/v1/devices/ws-0001/timeline?limit=${limit}`);
        expect({ limit, status: refused.status, fields: refused.body.details.fields }).toEqual({
          limit,
          status: 400,
          fields: [{ field: 'limit', message: 'must be a whole number from 1 to 1000' }],
        });
      }
      const backwards = await http(stack.baseUrl, 'GET', '/v1/devices/ws-0001/timeline?from=2025-03-01T00:00:00Z&to=2025-02-01T00:00:00Z');
      expect(backwards.body.details.fields).toEqual([{ field: 'to', message: 'must be after from' }]);
      // A cursor of the audit log is not a timeline cursor.
      const logPage = await http(stack.baseUrl, 'GET', '/v1/audit/events?limit=1');
      const crossed = await http(stack.baseUrl, 'GET', `/v1/devices/ws-0001/timeline?cursor=${logPage.body.nextCursor}`);
      expect(crossed.body.details.fields).toEqual([{ field: 'cursor', message: 'is not a cursor this service handed out' }]);
      const unknownParameter = await http(stack.baseUrl, 'GET', '/v1/devices/ws-0001/timeline?page=2');
      expect(unknownParameter.body.details.fields).toEqual([{ field: 'page', message: 'is not a known field' }]);
    });

    it('answers 404 DEVICE_NOT_FOUND for a device without events, and an empty page for an empty selection', async () => {
      const missing = await http(stack.baseUrl, 'GET', '/v1/devices/nobody/timeline');
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('DEVICE_NOT_FOUND');
      const empty = await http(stack.baseUrl, 'GET', '/v1/devices/ws-0002/timeline?type=DeviceRetired');
      expect(empty.body).toEqual({ items: [], nextCursor: null });
    });
  });

  describe('GET /v1/audit/events', () => {
    it('lists the whole fleet in global position order and filters by actor and type', async () => {
      const all = await allPages('/v1/audit/events', 4);
      const positions = all.items.map((e) => BigInt(e.position));
      positions.slice(1).forEach((position, i) => expect(position).toBeGreaterThan(positions[i]));
      expect(new Set(all.items.map((e) => e.streamId))).toEqual(
        new Set(['patch-KB5050009', 'patch-KB5052093', 'patch-KB5053636', 'device-ws-0001', 'device-ws-0002']),
      );

      const byOperator = await allPages('/v1/audit/events?actor=test-operator', 2);
      expect(byOperator.items.map((e) => e.type)).toEqual(['PatchPublished', 'PatchPublished', 'PatchPublished', 'HotpatchReverted']);
      expect(byOperator.items.every((e) => e.correlationId === 'change-2025-02')).toBe(true);

      const refusals = await allPages('/v1/audit/events?type=HotpatchRejected', 10);
      expect(refusals.items).toEqual([
        expect.objectContaining({
          streamId: 'device-ws-0002',
          actor: AGENT,
          data: expect.objectContaining({ patchId: 'KB5052093', reasons: ['UNSUPPORTED_EDITION'] }),
        }),
      ]);
      const operatorReverts = await allPages('/v1/audit/events?actor=test-operator&type=HotpatchReverted', 10);
      expect(operatorReverts.items.map((e) => e.streamId)).toEqual(['device-ws-0001']);
      expect(all.items.filter((e) => e.actor.id === 'test-operator')).toEqual(byOperator.items);
    });

    it('streams the whole selection as ndjson, one event per line, the same events the pages hold', async () => {
      const paged = await allPages('/v1/audit/events?type=HotpatchApplied,HotpatchRejected,HotpatchFailed', 2);
      const response = await fetch(`${stack.baseUrl}/v1/audit/events?type=HotpatchApplied,HotpatchRejected,HotpatchFailed`, {
        headers: { Accept: 'application/x-ndjson', ...auditor() },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      const streamed: AuditItem[] = [];
      await readNdjson(response, (item) => streamed.push(item));
      expect(streamed).toEqual(paged.items);
      expect(streamed.length).toBe(4);

      const refused = await http(stack.baseUrl, 'GET', '/v1/audit/events?limit=10', undefined, { Accept: 'application/x-ndjson' });
      expect(refused.status).toBe(400);
      expect(refused.body.details.fields).toEqual([{ field: 'limit', message: expect.stringContaining('not accepted when streaming') }]);
    });
  });

  describe('a device with 10,000 events', () => {
    const deviceId = 'ws-long-0001';

    beforeAll(async () => {
      await appendLongHistory(stack.config.databaseUrl, deviceId, 10_000);
    });

    it('keeps the timeline paged: 100 by default, at most 1000 a page, 10 pages of 1000 for the whole history', async () => {
      const first = await http(stack.baseUrl, 'GET', `/v1/devices/${deviceId}/timeline`);
      expect(first.body.items).toHaveLength(100);
      expect(first.body.nextCursor).not.toBeNull();
      const whole = await allPages(`/v1/devices/${deviceId}/timeline`, 1000);
      expect(whole.pages).toBe(10);
      expect(whole.items.map((e) => e.version)).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
      const failures = await allPages(`/v1/devices/${deviceId}/timeline?type=DeviceProfileReported&from=2025-01-21T00:00:00Z&to=2025-01-22T00:00:00Z`, 1000);
      expect(failures.items.length).toBe(144);
      expect(failures.items.every((e) => e.type === 'DeviceProfileReported' && e.actor.id === LONG_HISTORY_ACTOR.id)).toBe(true);
    });

    it('streams the 10,000 events as ndjson while the server reads at most one page of rows at a time', async () => {
      const db = stack.api.get<DataSource>(DATA_SOURCE);
      const query = jest.spyOn(db, 'query');
      try {
        const response = await fetch(`${stack.baseUrl}/v1/devices/${deviceId}/timeline`, { headers: { Accept: 'application/x-ndjson', ...auditor() } });
        let expectedVersion = 1;
        let prevHash: string | null = null;
        await readNdjson(response, (item) => {
          expect(item.version).toBe(expectedVersion);
          expect(item.prevHash).toBe(prevHash);
          expectedVersion += 1;
          prevHash = item.hash;
        });
        expect(expectedVersion - 1).toBe(10_000);
        const eventReads = await Promise.all(
          query.mock.calls
            .map((call, i) => ({ sql: String(call[0]), result: query.mock.results[i].value as Promise<unknown[]> }))
            .filter(({ sql }) => /FROM events/.test(sql))
            .map(({ result }) => result),
        );
        expect(eventReads.length).toBeGreaterThanOrEqual(20);
        expect(Math.max(...eventReads.map((rows) => rows.length))).toBeLessThanOrEqual(500);
      } finally {
        query.mockRestore();
      }
    });

    it('verifies the 10,000-event hash chain', async () => {
      const verified = await http(stack.baseUrl, 'GET', `/v1/audit/verify?deviceId=${deviceId}`);
      expect(verified.body).toEqual({ ok: true, streamsChecked: 1, eventsChecked: 10_000, firstBroken: null });
    });
  });

  describe('GET /v1/audit/verify', () => {
    it('recomputes every chain and finds them intact', async () => {
      const [{ count }] = (await stack.api.get<DataSource>(DATA_SOURCE).query('SELECT count(*)::int AS count FROM events')) as { count: number }[];
      const all = await http(stack.baseUrl, 'GET', '/v1/audit/verify');
      expect(all.status).toBe(200);
      expect(all.body).toEqual({ ok: true, streamsChecked: 6, eventsChecked: count, firstBroken: null });
      const one = await http(stack.baseUrl, 'GET', '/v1/audit/verify?deviceId=ws-0002');
      expect(one.body).toEqual({ ok: true, streamsChecked: 1, eventsChecked: 2, firstBroken: null });
    });

    it('answers 404 for an unknown device and 400 for a malformed id', async () => {
      expect((await http(stack.baseUrl, 'GET', '/v1/audit/verify?deviceId=nobody')).status).toBe(404);
      const malformed = await http(stack.baseUrl, 'GET', '/v1/audit/verify?deviceId=%20bad%20');
      expect(malformed.status).toBe(400);
      expect(malformed.body.details.fields[0].field).toBe('deviceId');
    });

    it('names the first broken link after someone edits an event behind the store', async () => {
      const tamperer = new Client({ connectionString: stack.config.databaseUrl });
      await tamperer.connect();
      try {
        // Bypasses the append-only trigger, as someone with direct database access could.
        await tamperer.query('SET session_replication_role = replica');
        await tamperer.query(
          `UPDATE events SET data = jsonb_set(data, '{errorCode}', '"0x00000000"') WHERE stream_id = 'device-ws-0001' AND version = 4`,
        );
      } finally {
        await tamperer.end();
      }
      const device = await http(stack.baseUrl, 'GET', '/v1/audit/verify?deviceId=ws-0001');
      expect(device.body).toEqual({
        ok: false,
        streamsChecked: 1,
        eventsChecked: 3,
        firstBroken: { streamId: 'device-ws-0001', version: 4, reason: 'content does not match its hash' },
      });
      const all = await http(stack.baseUrl, 'GET', '/v1/audit/verify');
      expect(all.body).toMatchObject({ ok: false, firstBroken: { streamId: 'device-ws-0001', version: 4 } });
      // The other streams still verify on their own.
      expect((await http(stack.baseUrl, 'GET', '/v1/audit/verify?deviceId=ws-0002')).body.ok).toBe(true);
    });
  });
});
