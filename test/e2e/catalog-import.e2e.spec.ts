import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { status } from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { FileDescriptorProto, IFileDescriptorProto } from 'protobufjs/ext/descriptor';
import { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@patchstate/event-store';
import { grpcPortOf } from '../../apps/api/src/bootstrap';
import { fromStruct } from '../../apps/api/src/grpc/struct-codec';
import { http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';
import { PatchstateGrpcClient } from './grpc-client';

const DATA_FILE = path.join(__dirname, '../../../shared/data/windows-releases.json');
const realText = readFileSync(DATA_FILE, 'utf8');
const realRows = JSON.parse(realText) as Record<string, unknown>[];

describe('catalog import over REST and gRPC: the real release data, once, then unchanged', () => {
  let stack: TestStack;
  let grpc: PatchstateGrpcClient;
  let db: DataSource;
  const post = (body: unknown, key = stack.keys.operator, query = '') =>
    http(stack.baseUrl, 'POST', `/v1/catalog/imports${query}`, body, { authorization: `Bearer ${key}` });
  const catalogEventTypes = async (): Promise<string[]> =>
    (await db.query("SELECT type FROM events WHERE stream_type = 'patch' ORDER BY position")).map((row: { type: string }) => row.type);

  beforeAll(async () => {
    stack = await startTestStack({ projector: false });
    grpc = new PatchstateGrpcClient(`127.0.0.1:${grpcPortOf(stack.api)}`, stack.keys.operator);
    db = stack.api.get<DataSource>(DATA_SOURCE);
  });

  afterAll(async () => {
    grpc?.close();
    await stack?.close();
  });

  it('refuses callers without the catalog-commands permission, and a file with a bad row, appending nothing', async () => {
    expect((await post({ format: 'json', content: realText }, stack.keys.auditor)).status).toBe(403);
    expect((await post({ format: 'json', content: realText }, stack.keys['device-agent'])).status).toBe(403);

    const rows = [...realRows.slice(0, 3), { ...realRows[3], builds: { '24H2': '26200.3403' } }];
    const content = JSON.stringify(rows, null, 2);
    const line = content.split('\n').findIndex((l) => l.includes(`"kb": "${realRows[3].kb as string}"`));
    const refused = await post({ format: 'json', content });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { rows: [{ line, index: 4, kb: realRows[3].kb, errors: [{ field: 'builds.24H2', message: 'must be a 26100.N build' }] }] },
    });
    expect(await catalogEventTypes()).toEqual([]);
  });

  it('checks with ?dryRun=true, then imports over REST (201, one PatchPublished per release), then the array body is unchanged (200)', async () => {
    const dryRun = await post({ format: 'json', content: realText }, stack.keys.operator, '?dryRun=true');
    expect(dryRun.status).toBe(200);
    expect(dryRun.body).toMatchObject({ published: realRows.map(() => expect.any(String)), dryRun: true, position: null });
    expect(await catalogEventTypes()).toEqual([]);

    const imported = await post({ format: 'json', content: realText }, stack.keys.operator);
    expect(imported.status).toBe(201);
    expect(new Set(imported.body.published)).toEqual(new Set(realRows.map((row) => row.kb)));
    expect(imported.body).toMatchObject({ amended: [], unchanged: [], dryRun: false });
    expect(imported.headers.get('x-position')).toBe(imported.body.position);
    expect(await catalogEventTypes()).toEqual(realRows.map(() => 'PatchPublished'));

    const again = await post(realRows);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ published: [], amended: [], position: null });
    expect(again.body.unchanged).toHaveLength(realRows.length);
    expect(await catalogEventTypes()).toHaveLength(realRows.length);
  });

  it('takes a file larger than HTTP_BODY_LIMIT (64kb) on this route only', async () => {
    const padded = await post({ format: 'json', content: realText + ' '.repeat(80 * 1024) });
    expect(padded).toMatchObject({ status: 200, body: { published: [], amended: [] } });
    const elsewhere = await http(stack.baseUrl, 'POST', '/v1/patches', { padding: ' '.repeat(80 * 1024) });
    expect(elsewhere).toMatchObject({ status: 400, body: { message: 'request body is too large' } });
  });

  it('imports the same file over gRPC: unchanged, nothing appended', async () => {
    const { reply, headers } = await grpc.call('PatchCatalog', 'ImportCatalog', { format: 'json', content: realText }, { 'x-correlation-id': 'import-again' });
    expect(reply).toMatchObject({ published: [], amended: [], dryRun: false, correlationId: 'import-again' });
    expect(reply.unchanged).toHaveLength(realRows.length);
    expect(reply.position ?? null).toBeNull();
    expect(headers.get('x-correlation-id')).toEqual(['import-again']);
    expect(await catalogEventTypes()).toHaveLength(realRows.length);
  });

  it('amends a changed release over gRPC (CSV), naming each changed field with its values before and after', async () => {
    const csv = 'kb,releasedAt,kind,product,sharedWith,builds.24H2,cves\nKB5050009,2025-01-14,baseline,windows-11,windows-server-2025,26100.2894,CVE-2025-21333;CVE-2025-21334;CVE-2025-21335\n';
    const { reply, headers } = await grpc.call('PatchCatalog', 'ImportCatalog', { format: 'csv', content: csv });
    expect(reply.amended).toHaveLength(1);
    const [change] = reply.amended[0].changes;
    expect(reply.amended[0].kb).toBe('KB5050009');
    expect(fromStruct({ fields: { field: { stringValue: change.field }, before: change.before, after: change.after } })).toEqual({
      field: 'cves',
      before: ['CVE-2025-21333', 'CVE-2025-21334'],
      after: ['CVE-2025-21333', 'CVE-2025-21334', 'CVE-2025-21335'],
    });
    expect(reply.position).toMatch(/^\d+$/);
    expect(headers.get('x-position')).toEqual([reply.position]);
    expect((await catalogEventTypes()).slice(-1)).toEqual(['PatchAmended']);
  });

  it('answers a bad file over gRPC with INVALID_ARGUMENT and the rows, as REST does', async () => {
    const failure = await grpc.failure('PatchCatalog', 'ImportCatalog', { format: 'csv', content: 'kb,kind\nKB5050009,baseline\nKB1,nope\n' });
    expect(failure).toMatchObject({ code: status.INVALID_ARGUMENT, errorCode: 'VALIDATION_FAILED' });
    expect(failure.errorDetails.rows.map((row: { line: number }) => row.line)).toEqual([2, 3]);
    expect(failure.metadata['field-violations']).toContain('line 3 (KB1) kind: must be one of');
    expect((await grpc.failure('PatchCatalog', 'ImportCatalog', { format: 'xml', content: 'x' })).errorDetails.fields).toEqual([
      expect.objectContaining({ field: 'format' }),
    ]);
  });

  it('is described by server reflection and in the OpenAPI document', async () => {
    const ask = (request: object) => grpc.reflect(request);
    // As grpcurl does: the file holding the service, then its dependencies by name.
    const files = new Map<string, IFileDescriptorProto>();
    const add = (reply: any) => {
      for (const bytes of reply.fileDescriptorResponse.fileDescriptorProto as Buffer[]) {
        const file = FileDescriptorProto.toObject(FileDescriptorProto.decode(bytes)) as IFileDescriptorProto;
        files.set(file.name!, file);
      }
    };
    add(await ask({ fileContainingSymbol: 'patchstate.v1.PatchCatalog' }));
    const serviceFile = [...files.values()].find((file) => file.service?.some((service) => service.name === 'PatchCatalog'))!;
    for (let missing = [...files.values()].flatMap((f) => f.dependency ?? []).filter((d) => !files.has(d)); missing.length > 0; ) {
      for (const name of missing) add(await ask({ fileByFilename: name }));
      missing = [...files.values()].flatMap((f) => f.dependency ?? []).filter((d) => !files.has(d));
    }
    expect(serviceFile.dependency).toContain('google/protobuf/struct.proto');
    const root = (protobuf.Root as unknown as { fromDescriptor(set: object): protobuf.Root }).fromDescriptor({ file: [...files.values()] });
    const method = root.lookupService('patchstate.v1.PatchCatalog').methods.ImportCatalog;
    expect([method.requestType, method.responseType]).toEqual(['.patchstate.v1.ImportCatalogRequest', '.patchstate.v1.ImportCatalogReply']);
    expect(Object.keys(root.lookupType('patchstate.v1.ReleaseFieldChange').fields)).toEqual(['field', 'before', 'after']);

    const docs = await http(stack.baseUrl, 'GET', '/docs-json');
    expect(Object.keys(docs.body.paths['/v1/catalog/imports'].post.responses)).toEqual(expect.arrayContaining(['200', '201', '400', '403']));
  });
});
