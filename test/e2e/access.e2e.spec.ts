import { ApiKeys, Role } from '@patchstate/auth';
import { DATA_SOURCE } from '@patchstate/event-store';
import { DataSource } from 'typeorm';
import { FEBRUARY_2025_HOTPATCH, JANUARY_2025_BASELINE, aDeviceProfile } from '../builders';
import { secretOf } from '../support/api-key-secret';
import { http } from '../support/http-client';
import { captureStdout } from '../support/stdout-capture';
import { TestStack, startTestStack } from '../support/test-stack';

type Group = 'device-commands' | 'catalog-commands' | 'queries' | 'audit' | 'admin-only';

/** What each role may do, per endpoint group: the policy of issue 7, spelled out as the test's oracle. */
const ALLOWED: Record<Role, Group[]> = {
  'device-agent': ['device-commands'],
  operator: ['device-commands', 'catalog-commands', 'queries', 'audit'],
  auditor: ['queries', 'audit'],
  admin: ['device-commands', 'catalog-commands', 'queries', 'audit', 'admin-only'],
};

describe('access: API keys, roles and the actor on every event (REST)', () => {
  let stack: TestStack;
  let db: DataSource;
  let counter = 0;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const eventCount = async () => Number((await db.query('SELECT count(*) AS n FROM events'))[0].n);

  /** One representative call per endpoint group; each returns the HTTP status. */
  const calls: Record<Exclude<Group, 'admin-only'>, (key: string) => Promise<number>> = {
    'device-commands': async (key) => {
      counter += 1;
      const deviceId = `acc-${counter}`;
      return (await http(stack.baseUrl, 'POST', '/v1/devices', { deviceId, hostname: `${deviceId}.corp`, profile: aDeviceProfile() }, bearer(key))).status;
    },
    'catalog-commands': async (key) => {
      counter += 1;
      const patch = { ...FEBRUARY_2025_HOTPATCH, patchId: `KB59${String(counter).padStart(5, '0')}` };
      return (await http(stack.baseUrl, 'POST', '/v1/patches', patch, bearer(key))).status;
    },
    queries: async (key) => (await http(stack.baseUrl, 'GET', '/v1/fleet/summary', undefined, bearer(key))).status,
    audit: async (key) => (await http(stack.baseUrl, 'GET', '/v1/audit/verify', undefined, bearer(key))).status,
  };

  beforeAll(async () => {
    stack = await startTestStack({ projector: false, env: { RATE_LIMIT_PER_MINUTE: '60' } });
    db = stack.api.get(DATA_SOURCE);
    await http(stack.baseUrl, 'POST', '/v1/patches', JANUARY_2025_BASELINE);
  });

  afterAll(async () => {
    await stack?.close();
  });

  for (const role of Object.keys(ALLOWED) as Role[]) {
    for (const group of Object.keys(calls) as (keyof typeof calls)[]) {
      const allowed = ALLOWED[role].includes(group);
      it(`${role} ${allowed ? 'may' : 'may not'} use ${group}`, async () => {
        const before = await eventCount();
        const status = await calls[group](stack.keys[role]);
        if (allowed) {
          expect([200, 201]).toContain(status);
        } else {
          expect(status).toBe(403);
          expect(await eventCount()).toBe(before);
        }
      });
    }
  }

  it('refuses a call without a key or with a wrong one with 401, and appends nothing', async () => {
    const before = await eventCount();
    const body = { deviceId: 'nokey-1', hostname: 'nokey-1.corp', profile: aDeviceProfile() };
    const none = await http(stack.baseUrl, 'POST', '/v1/devices', body, { authorization: '' });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const forged = stack.keys.operator.slice(0, -4) + 'AAAA';
    expect((await http(stack.baseUrl, 'POST', '/v1/devices', body, bearer(forged))).status).toBe(401);
    expect((await http(stack.baseUrl, 'POST', '/v1/devices', body, bearer('not-a-key'))).status).toBe(401);
    expect(await eventCount()).toBe(before);
  });

  it('keeps health and metrics open for probes, and /docs explains how to authenticate', async () => {
    expect((await http(stack.baseUrl, 'GET', '/health', undefined, { authorization: '' })).status).toBe(200);
    expect((await http(stack.baseUrl, 'GET', '/metrics', undefined, { authorization: '' })).status).toBe(200);
    const docs = await http(stack.baseUrl, 'GET', '/docs-json', undefined, { authorization: '' });
    expect(JSON.stringify(docs.body)).toContain('Authorization: Bearer');
    expect(Object.keys(docs.body.paths['/v1/devices/{deviceId}/hotpatches'].post.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '404', '409', '412', '422', '429']),
    );
  });

  it('stops a revoked key at once', async () => {
    const keys = new ApiKeys(db);
    const { key } = await keys.create({ name: 'soon-revoked', role: 'operator', createdBy: 'test' });
    expect((await http(stack.baseUrl, 'GET', '/v1/fleet/summary', undefined, bearer(key))).status).toBe(200);
    await keys.revoke('soon-revoked');
    expect((await http(stack.baseUrl, 'GET', '/v1/fleet/summary', undefined, bearer(key))).status).toBe(401);
  });

  it('records the authenticated key as the actor, whatever the client claims', async () => {
    const keys = new ApiKeys(db);
    const { key } = await keys.create({ name: 'agent.ws-77', role: 'device-agent', createdBy: 'test' });
    const created = await http(
      stack.baseUrl,
      'POST',
      '/v1/devices',
      { deviceId: 'ws-77', hostname: 'ws-77.corp', profile: aDeviceProfile() },
      { ...bearer(key), 'x-actor': 'somebody-else' },
    );
    expect(created.status).toBe(201);
    const [row] = await db.query("SELECT actor, metadata FROM events WHERE stream_id = 'device-ws-77'");
    expect(row.actor).toBe('agent.ws-77');
    expect(row.metadata.actor).toEqual({ id: 'agent.ws-77', role: 'device-agent' });
  });

  it('scopes Idempotency-Key to the caller: another key reusing it gets its own answer, not the first caller\'s', async () => {
    const body = { deviceId: 'idem-scope-1', hostname: 'idem-scope-1.corp', profile: aDeviceProfile() };
    const first = await http(stack.baseUrl, 'POST', '/v1/devices', body, { ...bearer(stack.keys.operator), 'idempotency-key': 'shared-key-1' });
    expect(first.status).toBe(201);
    const replay = await http(stack.baseUrl, 'POST', '/v1/devices', body, { ...bearer(stack.keys.operator), 'idempotency-key': 'shared-key-1' });
    expect(replay.body).toEqual(first.body);
    const other = await http(stack.baseUrl, 'POST', '/v1/devices', body, { ...bearer(stack.keys['device-agent']), 'idempotency-key': 'shared-key-1' });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ code: 'DEVICE_EXISTS' });
  });

  it('limits the request rate per key with 429 and Retry-After', async () => {
    const { key } = await new ApiKeys(db).create({ name: 'flooder', role: 'auditor', createdBy: 'test' });
    const statuses: number[] = [];
    for (let i = 0; i < 61; i += 1) statuses.push((await http(stack.baseUrl, 'GET', '/health', undefined, bearer(key))).status);
    // Probes are open and not limited; a limited endpoint is.
    expect(statuses.every((s) => s === 200)).toBe(true);
    // A burst of 60 goes through; the bucket then refills at one a second, so a fast loop soon meets a 429.
    let first429: { index: number; retryAfter: string | null } | null = null;
    for (let i = 0; i < 200 && first429 === null; i += 1) {
      const result = await http(stack.baseUrl, 'GET', '/v1/fleet/summary', undefined, bearer(key));
      if (result.status === 429) first429 = { index: i, retryAfter: result.headers.get('retry-after') };
      else expect(result.status).toBe(200);
    }
    expect(first429).not.toBeNull();
    expect(first429!.index).toBeGreaterThanOrEqual(60);
    expect(Number(first429!.retryAfter)).toBeGreaterThanOrEqual(1);
    // Another key is not affected.
    expect((await http(stack.baseUrl, 'GET', '/v1/fleet/summary', undefined, bearer(stack.keys.auditor))).status).toBe(200);
  });
});

describe('access: request logs carry the actor and correlation id, never the key', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ projector: false, env: { REQUEST_LOG: 'true' } });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('writes one JSON line per request without the key', async () => {
    const requestLines = (text: string) => text.split('\n').filter((line) => line.startsWith('{"time"'));
    const everything = await captureStdout(async () => {
      await http(
        stack.baseUrl,
        'POST',
        '/v1/devices',
        { deviceId: 'logged-1', hostname: 'logged-1.corp', profile: aDeviceProfile() },
        { authorization: `Bearer ${stack.keys.operator}`, 'x-correlation-id': 'corr-123' },
      );
      await http(stack.baseUrl, 'GET', '/v1/fleet/summary', undefined, { authorization: `Bearer ${stack.keys.auditor}` });
    }, (text) => requestLines(text).length >= 2);
    const lines = requestLines(everything);
    const entries = lines.map((line) => JSON.parse(line));
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'POST', path: '/v1/devices', status: 201, actor: 'test-operator', role: 'operator', correlationId: 'corr-123' }),
        expect.objectContaining({ method: 'GET', path: '/v1/fleet/summary', status: 200, actor: 'test-auditor' }),
      ]),
    );
    for (const key of Object.values(stack.keys)) {
      expect(everything).not.toContain(key);
      expect(everything).not.toContain(secretOf(key));
    }
  });
});
