import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HttpResult, http } from '../../../test/support/http-client';
import { TestStack, startTestStack } from '../../../test/support/test-stack';
import { releasesText } from '../../../test/e2e/servicing-fleet';

const fixture = (name: string) => ({ name, content: readFileSync(path.join(__dirname, 'fixtures', name), 'utf8') });
const id = (n: number) => `0f5b1d2a-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * Issue 18 over REST: the real catalog imported, then a small fleet's WUfB reports export (UCClient as CSV,
 * UCClientUpdateStatus as JSON, in the column layout of docs/ingest.md), and the devices, exposure and timelines
 * read back. Queries wait for the import with ?minPosition; nothing sleeps.
 */
describe('WUfB reports import over REST', () => {
  let stack: TestStack;
  let lastPosition = '0';
  let first: any;

  const ingest = async (body: unknown, expected: number): Promise<HttpResult> => {
    const result = await http(stack.baseUrl, 'POST', '/v1/ingest/wufb', body, { authorization: `Bearer ${stack.keys.operator}` });
    expect({ status: result.status, body: result.body }).toMatchObject({ status: expected });
    lastPosition = result.headers.get('x-position') ?? lastPosition;
    return result;
  };
  const get = async (p: string): Promise<any> => {
    const result = await http(stack.baseUrl, 'GET', `${p}${p.includes('?') ? '&' : '?'}minPosition=${lastPosition}`);
    expect({ p, status: result.status, body: result.body }).toMatchObject({ status: 200 });
    return result.body;
  };
  const eventCount = async () => (await get('/v1/audit/events?limit=500')).items?.length;

  beforeAll(async () => {
    stack = await startTestStack();
    const imported = await http(stack.baseUrl, 'POST', '/v1/catalog/imports', { format: 'json', content: releasesText() });
    expect(imported.status).toBe(201);
    lastPosition = imported.headers.get('x-position') ?? lastPosition;
    first = (await ingest({ clients: fixture('UCClient.csv'), updateStatus: fixture('UCClientUpdateStatus.json') }, 201)).body;
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('sums up the import: rows read, devices registered, events appended, the malformed row by its line, the rest applied', () => {
    expect(first).toMatchObject({ rowsRead: 11, applied: 9, devicesRegistered: 6, eventsAppended: 9, skipped: 1, refused: 1, rejected: 0 });
    expect(first.rows).toEqual([
      { file: 'UCClient.csv', line: 7, deviceId: id(99), outcome: 'refused', reason: 'OSBuild must be a build such as 10.0.26100.7392' },
      { file: 'UCClientUpdateStatus.json', line: 37, deviceId: id(6), outcome: 'skipped', reason: 'KB5124008 is DownloadStart: nothing installed yet' },
    ]);
  });

  it('places each device where its rows say: hotpatch applied, hotpatch build, pending restart, failure, LCU path, ineligible', async () => {
    const device = (n: number) => get(`/v1/devices/${id(n)}`);
    const applied = await device(1);
    expect(applied.memory).toMatchObject({ build: '26100.9106', release: 'KB5120994', baselineKb: 'KB5101650' });
    expect(applied.disk).toMatchObject({ build: '26100.8875', release: 'KB5101650' });
    expect(applied).toMatchObject({ pendingCommit: ['KB5120994'], servicing: { path: 'hotpatch' } });
    expect(await device(2)).toMatchObject({ memory: { build: '26200.9106', release: 'KB5120994' }, servicing: { path: 'hotpatch', baselineKb: 'KB5101650' } });
    expect(await device(3)).toMatchObject({ pendingRestart: { patchId: 'KB5121003', build: '26100.9168' }, memory: { build: '26100.8875' } });
    expect(await device(4)).toMatchObject({ servicing: { path: 'lcu', reasons: ['HOTPATCH_FAILED'] } });
    expect(await device(5)).toMatchObject({ profile: { architecture: 'x64' }, servicing: { path: 'lcu', release: { patchId: 'KB5121003' } } });
    expect(await device(6)).toMatchObject({
      profile: { edition: 'pro', hotpatchEnabled: false },
      servicing: { path: 'ineligible', reasons: ['UNSUPPORTED_EDITION', 'HOTPATCH_DISABLED'] },
    });
    expect((await http(stack.baseUrl, 'GET', `/v1/devices/${id(99)}`)).status).toBe(404);
  });

  it('counts the fleet protected against the March 2026 RRAS CVE: every device runs a release that carries its fix', async () => {
    const exposure = await get('/v1/cves/CVE-2026-25172/exposure');
    expect(exposure.counts).toMatchObject({ protectedOnDisk: 6, exposed: 0 });
  });

  it('records the import as the cause of every event: the file, its line and the export time, one correlation id', async () => {
    const timeline = await get(`/v1/devices/${id(1)}/timeline`);
    expect(timeline.items.map((e: any) => [e.type, e.occurredAt, e.causationId, e.correlationId, e.actor.id])).toEqual([
      ['DeviceRegistered', '2026-08-12T06:00:00.000Z', 'wufb:UCClient.csv#2@2026-08-14T06:00:00.000Z', first.correlationId, 'test-operator'],
      ['HotpatchApplied', '2026-08-12T09:00:00.000Z', 'wufb:UCClientUpdateStatus.json#2@2026-08-14T06:00:00.000Z', first.correlationId, 'test-operator'],
    ]);
  });

  it('appends nothing when the same export is imported again', async () => {
    const before = await eventCount();
    const again = (await ingest({ clients: fixture('UCClient.csv'), updateStatus: fixture('UCClientUpdateStatus.json') }, 200)).body;
    expect(again).toMatchObject({ rowsRead: 11, eventsAppended: 0, devicesRegistered: 0, refused: 1, position: null });
    expect(await eventCount()).toBe(before);
  });

  it('changes nothing with an older export: its rows are skipped as older than what the service knows', async () => {
    const before = await eventCount();
    const older = (await ingest({ clients: fixture('UCClient-older.csv'), updateStatus: fixture('UCClientUpdateStatus-older.csv') }, 200)).body;
    expect(older).toMatchObject({ rowsRead: 4, eventsAppended: 0, skipped: 4, refused: 0 });
    expect(older.rows.map((r: any) => r.reason)).toEqual([
      expect.stringMatching(/^older than what the service knows: reported at 2026-07-20T06:00:00.000Z/),
      expect.stringMatching(/^older than what the service knows/),
      expect.stringMatching(/^older than what the service knows: InstallFailed at 2026-05-13/),
      'the device already runs 26100.9168',
    ]);
    expect(await eventCount()).toBe(before);
    expect(await get(`/v1/devices/${id(5)}`)).toMatchObject({ profile: { hotpatchEnabled: true }, memory: { build: '26100.9168' } });
  });

  it('refuses a request without the clients export, naming the field', async () => {
    const result = await http(stack.baseUrl, 'POST', '/v1/ingest/wufb', { updateStatus: fixture('UCClientUpdateStatus.json') });
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [{ field: 'clients' }] } });
  });
});
