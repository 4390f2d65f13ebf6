import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client, Metadata, ServiceError, credentials, loadPackageDefinition, status } from '@grpc/grpc-js';
import { grpcPortOf } from '../../api/src/bootstrap';
import { loadPatchstateProtos } from '../../api/src/grpc/grpc-server';
import { http } from '../../../test/support/http-client';
import { TestStack, startTestStack } from '../../../test/support/test-stack';
import { releasesText } from '../../../test/e2e/servicing-fleet';

const fixture = (name: string) => ({ name, content: readFileSync(path.join(__dirname, 'fixtures', name), 'utf8') });
const id = (n: number) => `0f5b1d2a-0000-4000-8000-${String(n).padStart(12, '0')}`;
const fleetExport = () => ({ clients: fixture('UCClient.csv'), updateStatus: fixture('UCClientUpdateStatus.json') });

/** A Node client as grpc-js users write one: camelCase, int64 as strings, absent fields left out. */
const CLIENT_LOADER_OPTIONS = { keepCase: false, longs: String, enums: String, defaults: false, arrays: true, objects: true, oneofs: false };

interface Reply {
  reply: any;
  headers: Metadata;
}

/**
 * Issue 18 over gRPC: FleetIngest.IngestWufb takes the same export as POST /v1/ingest/wufb and answers the
 * same summary. The REST test (wufb-ingest.e2e.spec.ts) reads the devices back; this one compares the answers.
 */
describe('WUfB reports import over gRPC', () => {
  let stack: TestStack;
  let client: Client & Record<string, any>;

  const call = (request: object, key: string, extra: Record<string, string> = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${key}`);
      for (const [name, value] of Object.entries(extra)) metadata.set(name, value);
      let headers = new Metadata();
      const pending = client.IngestWufb(request, metadata, (error: ServiceError | null, reply: unknown) => (error ? reject(error) : resolve({ reply, headers })));
      pending.on('metadata', (received: Metadata) => (headers = received));
    });
  const failure = (request: object, key: string) => call(request, key).then((r) => Promise.reject(new Error(JSON.stringify(r.reply))), (error: ServiceError) => error);
  /** The reply in the REST body's shape: proto3 leaves out what REST sends as null. */
  const asRest = (reply: any) => ({
    ...reply,
    rows: reply.rows.map((row: any) => ({ ...row, deviceId: row.deviceId ?? null })),
    position: reply.position ?? null,
  });
  const withoutCorrelation = ({ correlationId, ...summary }: any) => (expect(correlationId).toEqual(expect.any(String)), summary);

  beforeAll(async () => {
    stack = await startTestStack({ projector: false });
    const loaded = loadPackageDefinition(loadPatchstateProtos(CLIENT_LOADER_OPTIONS)) as any;
    client = new loaded.patchstate.v1.FleetIngest(`127.0.0.1:${grpcPortOf(stack.api)}`, credentials.createInsecure());
    const imported = await http(stack.baseUrl, 'POST', '/v1/catalog/imports', { format: 'json', content: releasesText() });
    expect(imported.status).toBe(201);
  });

  afterAll(async () => {
    client?.close();
    await stack?.close();
  });

  it('imports a fleet export and answers the summary REST answers, with the correlation id and position as metadata', async () => {
    const { reply, headers } = await call(fleetExport(), stack.keys.operator, { 'x-correlation-id': 'wufb-2026-08-14' });
    // The first import of this export, as the REST test states it.
    expect(asRest(reply)).toEqual({
      correlationId: 'wufb-2026-08-14',
      rowsRead: 11, applied: 9, devicesRegistered: 6, eventsAppended: 9, skipped: 1, refused: 1, rejected: 0,
      skippedByReason: { 'KB is DownloadStart': 1 },
      rows: [
        { file: 'UCClient.csv', line: 7, deviceId: id(99), outcome: 'refused', reason: 'OSBuild must be a build such as 10.0.26100.7392' },
        { file: 'UCClientUpdateStatus.json', line: 37, deviceId: id(6), outcome: 'skipped', reason: 'KB5124008 is DownloadStart: nothing installed yet' },
      ],
      rowsLeftOut: 0,
      position: expect.stringMatching(/^\d+$/),
    });
    expect(headers.get('x-correlation-id')).toEqual(['wufb-2026-08-14']);
    expect(headers.get('x-position')).toEqual([reply.position]);
  });

  it('answers a re-import with the same summary as REST: nothing appended, the same rows reported', async () => {
    const rest = await http(stack.baseUrl, 'POST', '/v1/ingest/wufb', fleetExport(), { authorization: `Bearer ${stack.keys.operator}` });
    expect(rest.status).toBe(200);
    const { reply, headers } = await call(fleetExport(), stack.keys.admin);
    expect(withoutCorrelation(asRest(reply))).toEqual(withoutCorrelation(rest.body));
    expect(reply).toMatchObject({ eventsAppended: 0, rowsRead: 11 });
    expect(reply.position).toBeUndefined();
    expect(headers.get('x-position')).toEqual([]);
  });

  it('reads an empty update-status file as no rows, as REST does, although proto3 does not send the empty text', async () => {
    const { reply } = await call({ clients: fixture('UCClient-older.csv'), updateStatus: { name: 'empty.csv', content: '' } }, stack.keys.operator);
    expect(reply).toMatchObject({ rowsRead: 2, skipped: 2, refused: 0 });
  });

  it('refuses a request without the clients export (INVALID_ARGUMENT, the field named) and callers without catalog-commands', async () => {
    const missing = await failure({ updateStatus: fixture('UCClientUpdateStatus.json') }, stack.keys.operator);
    expect(missing.code).toBe(status.INVALID_ARGUMENT);
    expect(missing.metadata.get('field-violations')).toEqual([expect.stringMatching(/^clients: is required/)]);
    const badName = await failure({ clients: { name: '../etc/passwd', content: '' } }, stack.keys.operator);
    expect(badName.metadata.get('field-violations')).toEqual([expect.stringMatching(/^clients\.name: must be a file name/)]);
    for (const role of ['device-agent', 'auditor'] as const) {
      expect((await failure(fleetExport(), stack.keys[role])).code).toBe(status.PERMISSION_DENIED);
    }
    expect((await failure(fleetExport(), 'not-a-key')).code).toBe(status.UNAUTHENTICATED);
  });
});
