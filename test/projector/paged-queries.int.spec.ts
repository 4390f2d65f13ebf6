import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DATA_SOURCE, PostgresEventStore } from '@patchstate/event-store';
import { DeviceEvent, RegisteredDevice, evolveDevice, initialDeviceState } from '@patchstate/domain';
import { ProjectionEngine, allProjections, upsertDeviceRow } from '@patchstate/read-models';
import { DEVICE_AGENT, aDeviceHistory, aDeviceProfile } from '../builders';
import { http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';
import { asIncomingMessages, storedEnvelopes } from './projector-fixture';
import { FEB } from './scripted-fleet';

const LONG_DEVICE = 'ws-long';
const EVENTS = 10_000;

/** Registered, then February applied and reverted over and over, ending applied: 10,000 events. */
function longHistory(): DeviceEvent[] {
  const history = aDeviceHistory(LONG_DEVICE).registered();
  while (history.events.length < EVENTS - 1) history.applied(FEB).reverted(FEB);
  history.applied(FEB);
  return history.events;
}

interface ObservedQuery {
  sql: string;
  rows: number;
}

/** Records what the API's pool is asked while `work` runs, and how many rows each answer had. */
async function observeQueries(db: DataSource, work: () => Promise<void>): Promise<ObservedQuery[]> {
  const observed: ObservedQuery[] = [];
  const query = db.query.bind(db);
  const spy = jest.spyOn(db, 'query').mockImplementation(async (...args: Parameters<DataSource['query']>) => {
    const result: unknown = await query(...args);
    observed.push({ sql: String(args[0]).replace(/\s+/g, ' ').trim(), rows: Array.isArray(result) ? result.length : 1 });
    return result;
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  expect(observed.length).toBeGreaterThan(0);
  return observed;
}

describe('queries on a device with 10,000 events stay paged and bounded', () => {
  let stack: TestStack;
  let db: DataSource;
  let lastPosition: string;

  beforeAll(async () => {
    stack = await startTestStack();
    db = stack.api.get(DATA_SOURCE);
    expect((await http(stack.baseUrl, 'POST', '/v1/patches', FEB)).status).toBe(201);
    let position = '0';
    for (const deviceId of ['ws-001', 'ws-002', 'ws-003']) {
      const registered = await http(stack.baseUrl, 'POST', '/v1/devices', { deviceId, hostname: `${deviceId}.corp.contoso.example`, profile: aDeviceProfile() });
      expect(registered.status).toBe(201);
      const applied = await http(stack.baseUrl, 'POST', `/v1/devices/${deviceId}/hotpatches`, { patchId: FEB.patchId });
      expect(applied.status).toBe(201);
      position = applied.body.position;
    }
    expect((await http(stack.baseUrl, 'GET', `/v1/devices/ws-003?minPosition=${position}`)).status).toBe(200);
    await stack.stopProjector();

    // Recorded straight into the event store, a thousand per transaction: 10,000 commands would take minutes.
    const store = new PostgresEventStore(db);
    const events = longHistory();
    for (let from = 0; from < events.length; from += 1_000) {
      const chunk = events.slice(from, from + 1_000).map((event, index) => {
        const at = new Date(Date.UTC(2025, 1, 1) + (from + index) * 60_000).toISOString();
        return {
          type: event.type,
          data: event.data,
          metadata: { eventId: randomUUID(), occurredAt: at, recordedAt: at, actor: DEVICE_AGENT, correlationId: randomUUID(), causationId: null },
        };
      });
      lastPosition = (await store.append(`device-${LONG_DEVICE}`, 'device', from, chunk)).result.position;
    }

    // Projecting 10,000 events takes the projector a minute or more on this machine; the read model is left as
    // it would leave it: the device's row as of event 9,999 (the domain's own fold, written by the projection's
    // own upsert), and event 10,000 applied by the engine with the live projections.
    const before = events.slice(0, -1).reduce(evolveDevice, initialDeviceState) as RegisteredDevice;
    const runner = db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await upsertDeviceRow(runner, before, EVENTS - 1, String(BigInt(lastPosition) - 1n), '2025-02-01T00:00:00Z');
      for (const projection of ['device_state', 'patch_rollout']) {
        await runner.query('INSERT INTO projection_stream_versions (projection, stream_id, version, position) VALUES ($1, $2, $3, $4)', [
          projection,
          `device-${LONG_DEVICE}`,
          EVENTS - 1,
          String(BigInt(lastPosition) - 1n),
        ]);
      }
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    const last = await storedEnvelopes(db, String(BigInt(lastPosition) - 1n));
    expect(last.map((e) => e.version)).toEqual([EVENTS]);
    const outcome = await new ProjectionEngine(db, allProjections()).applyBatch(null, asIncomingMessages(last), null);
    expect(outcome).toEqual({ applied: 1, skippedAsDuplicate: 0, parked: 0 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('answers the device from its one read-model row, without reading its events', async () => {
    let body: Record<string, unknown> = {};
    const queries = await observeQueries(db, async () => {
      const response = await http(stack.baseUrl, 'GET', `/v1/devices/${LONG_DEVICE}`);
      expect(response.status).toBe(200);
      body = response.body;
    });
    expect(body).toMatchObject({ deviceId: LONG_DEVICE, version: EVENTS, position: lastPosition, memory: { hotpatches: [FEB.patchId] } });
    // The outbox relay polls through the same pool meanwhile: its reads are not the query's.
    const reads = queries.filter((q) => /^select/i.test(q.sql) && !/\boutbox\b/.test(q.sql));
    expect(reads.filter((q) => /\bevents\b/.test(q.sql))).toEqual([]);
    expect(reads.find((q) => /from device_state/i.test(q.sql))).toMatchObject({ rows: 1 });
    expect(Math.max(...reads.map((q) => q.rows))).toBeLessThanOrEqual(1);
  });

  it('answers a point in time by folding the log page by page, never holding all 10,000 events at once', async () => {
    let body: Record<string, unknown> = {};
    const queries = await observeQueries(db, async () => {
      // events are one minute apart from 2025-02-01T00:00Z: 2,881 of them are recorded by this time
      const response = await http(stack.baseUrl, 'GET', `/v1/devices/${LONG_DEVICE}?asOf=2025-02-03T00:00:00Z`);
      expect(response.status).toBe(200);
      body = response.body;
    });
    expect(body).toMatchObject({ deviceId: LONG_DEVICE, version: 2_881, memory: { hotpatches: [] }, updatedAt: '2025-02-03T00:00:00.000Z' });
    const reads = queries.filter((q) => /\bevents\b/.test(q.sql) && !/\boutbox\b/.test(q.sql));
    expect(reads.length).toBeGreaterThan(1);
    expect(Math.max(...reads.map((q) => q.rows))).toBeLessThanOrEqual(1_000);

    const now = await http(stack.baseUrl, 'GET', `/v1/devices/${LONG_DEVICE}?asOf=2030-01-01T00:00:00Z`);
    expect(now.body).toMatchObject({ version: EVENTS, memory: { hotpatches: [FEB.patchId] } });
  });

  it('pages the timeline of those 10,000 events, never reading more than a page (and one row to know there is more)', async () => {
    let page: { items: { version: number }[]; nextCursor: string | null } = { items: [], nextCursor: null };
    const queries = await observeQueries(db, async () => {
      page = (await http(stack.baseUrl, 'GET', `/v1/devices/${LONG_DEVICE}/timeline?limit=250`)).body;
    });
    expect(page.items).toHaveLength(250);
    expect(page.items[0].version).toBe(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    expect(Math.max(...queries.filter((q) => !/\boutbox\b/.test(q.sql)).map((q) => q.rows))).toBeLessThanOrEqual(251);

    const next = await http(stack.baseUrl, 'GET', `/v1/devices/${LONG_DEVICE}/timeline?limit=1000&cursor=${encodeURIComponent(page.nextCursor!)}`);
    expect(next.body.items).toHaveLength(1000);
    expect(next.body.items[0].version).toBe(251);
  });

  it('pages device lists and CVE exposure with the limit asked for', async () => {
    const first = await http(stack.baseUrl, 'GET', '/v1/devices?state=hotpatched&limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items.map((d: { deviceId: string }) => d.deviceId)).toEqual(['ws-001', 'ws-002']);
    const second = await http(stack.baseUrl, 'GET', `/v1/devices?state=hotpatched&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body).toMatchObject({ items: [{ deviceId: 'ws-003' }, { deviceId: LONG_DEVICE }], nextCursor: null });

    const exposure = await http(stack.baseUrl, 'GET', `/v1/cves/${FEB.cves[0]}/exposure?group=protectedInMemoryOnly&limit=3`);
    expect(exposure.body).toMatchObject({ counts: { protectedInMemoryOnly: 4 }, devices: { nextCursor: expect.any(String) } });
    expect(exposure.body.devices.items).toHaveLength(3);
  });

  it.each([
    '/v1/devices?state=hotpatched&limit=1001',
    `/v1/cves/${FEB.cves[0]}/exposure?limit=1001`,
    `/v1/devices/${LONG_DEVICE}/timeline?limit=1001`,
    '/v1/audit/events?limit=1001',
  ])('refuses a page larger than 1000: %s', async (path) => {
    const response = await http(stack.baseUrl, 'GET', path);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(response.body.details)).toContain('limit');
  });
});
