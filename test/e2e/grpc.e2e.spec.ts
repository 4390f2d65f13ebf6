import { status } from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { FileDescriptorProto, IDescriptorProto, IFileDescriptorProto } from 'protobufjs/ext/descriptor';
import { DataSource } from 'typeorm';
import { ApiKeys, RateLimiter } from '@patchstate/auth';
import { PatchDefinition } from '@patchstate/domain';
import { DATA_SOURCE } from '@patchstate/event-store';
import { grpcPortOf } from '../../apps/api/src/bootstrap';
import { fromStruct } from '../../apps/api/src/grpc/struct-codec';
import {
  FEBRUARY_2025_HOTPATCH,
  JANUARY_2025_BASELINE,
  JULY_2025_BASELINE,
  MARCH_2025_HOTPATCH,
  APRIL_2025_BASELINE,
  aDeviceProfile,
} from '../builders';
import { TestStack, eventually, startTestStack } from '../support/test-stack';
import { appendLongHistory } from './audit-long-history';
import { PatchstateGrpcClient, auditEventAsJson, collect, describeFailure, isServiceError } from './grpc-client';

/** A catalog entry as a PublishPatchRequest: absent, not null, is how a message leaves a field out. */
function publishRequest(patch: PatchDefinition): Record<string, unknown> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== null));
}

function registerRequest(deviceId: string, profile = aDeviceProfile()) {
  return { deviceId, hostname: `${deviceId}.corp.contoso.example`, profile, registeredAt: '2025-01-20T08:00:00Z' };
}

describe('gRPC API: every RPC, every error code, metadata, health and reflection', () => {
  let stack: TestStack;
  let grpc: PatchstateGrpcClient;
  const others: PatchstateGrpcClient[] = [];
  const as = (key: string) => {
    const client = grpc.as(key);
    others.push(client);
    return client;
  };

  beforeAll(async () => {
    stack = await startTestStack({ env: { GRPC_PORT: '0', GRPC_HOST: '127.0.0.1' } });
    grpc = new PatchstateGrpcClient(`127.0.0.1:${grpcPortOf(stack.api)}`, stack.keys.operator);
  });

  afterAll(async () => {
    grpc?.close();
    others.forEach((client) => client.close());
    await stack?.close();
  });

  describe('health checking and reflection, for grpcurl and orchestrators', () => {
    it('answers SERVING for the server and for each service, NOT_FOUND for an unknown service', async () => {
      const check = (service: string) =>
        new Promise<any>((resolve, reject) => grpc.health.Check({ service }, (error: unknown, reply: unknown) => (error ? reject(error) : resolve(reply))));
      expect(await check('')).toEqual({ status: 'SERVING' });
      for (const service of ['DeviceCommands', 'PatchCatalog', 'DeviceQueries', 'Audit']) {
        expect(await check(`patchstate.v1.${service}`)).toEqual({ status: 'SERVING' });
      }
      await expect(check('patchstate.v1.Nope')).rejects.toMatchObject({ code: status.NOT_FOUND });
    });

    it('lists and describes the services through server reflection, as grpcurl does, without the proto files', async () => {
      const ask = (request: object) => grpc.reflect(request);
      const listed = await ask({ listServices: '' });
      expect(listed.listServicesResponse.service.map((s: { name: string }) => s.name)).toEqual(
        expect.arrayContaining([
          'patchstate.v1.DeviceCommands',
          'patchstate.v1.PatchCatalog',
          'patchstate.v1.DeviceQueries',
          'patchstate.v1.Audit',
          'grpc.health.v1.Health',
        ]),
      );

      // grpcurl: the file that holds the symbol, then every dependency by file name, recursively.
      const files = new Map<string, IFileDescriptorProto>();
      const add = (reply: any) => {
        for (const bytes of reply.fileDescriptorResponse.fileDescriptorProto as Buffer[]) {
          const file = FileDescriptorProto.toObject(FileDescriptorProto.decode(bytes)) as IFileDescriptorProto;
          files.set(file.name!, file);
        }
      };
      for (const service of ['patchstate.v1.DeviceCommands', 'patchstate.v1.PatchCatalog', 'patchstate.v1.DeviceQueries', 'patchstate.v1.Audit']) {
        add(await ask({ fileContainingSymbol: service }));
      }
      for (let missing = missingDependencies(files); missing.length > 0; missing = missingDependencies(files)) {
        for (const name of missing) add(await ask({ fileByFilename: name }));
      }
      expect([...files.keys()]).toContain('google/protobuf/struct.proto');
      // Linking as protoc would: every reference is fully qualified and defined in the file or a dependency.
      for (const file of files.values()) {
        const visible = new Set([file.name!, ...((file.dependency as string[] | undefined) ?? [])]);
        for (const reference of typeReferences(file)) {
          const definedIn = definingFile(files, reference);
          expect({ file: file.name, reference, definedIn, visible: definedIn !== undefined && visible.has(definedIn) }).toEqual({
            file: file.name,
            reference: expect.stringMatching(/^\./),
            definedIn: expect.any(String),
            visible: true,
          });
        }
      }
      // The described service is the one in proto/, field names as written.
      // ext/descriptor adds Root.fromDescriptor at run time; its typings do not declare it.
      const root = (protobuf.Root as unknown as { fromDescriptor(set: object): protobuf.Root }).fromDescriptor({ file: [...files.values()] });
      const getTimeline = root.lookupService('patchstate.v1.Audit').methods.GetTimeline;
      expect(getTimeline.responseStream).toBe(true);
      expect(Object.keys(root.lookupType('patchstate.v1.AuditEvent').fields)).toEqual(expect.arrayContaining(['prev_hash', 'resume_cursor', 'data']));
      // Map fields as protoc describes them (validators such as Go's protodesc refuse anything else).
      const summary = [...files.values()].flatMap((file) => file.messageType ?? []).find((message) => message.name === 'FleetSummary')!;
      expect(summary.nestedType!.map((entry) => [entry.name, entry.options?.mapEntry])).toEqual([
        ['ByStateEntry', true],
        ['ByIneligibilityReasonEntry', true],
        ['ByServicingPathEntry', true],
        ['ByOffTrainReasonEntry', true],
      ]);
      expect(summary.field!.find((field) => field.name === 'by_state')!.typeName).toBe('.patchstate.v1.FleetSummary.ByStateEntry');
    });
  });

  describe('PatchCatalog', () => {
    it('PublishPatch appends PatchPublished and answers like REST: stream, version, position, events', async () => {
      const { reply, headers } = await grpc.call('PatchCatalog', 'PublishPatch', publishRequest(JANUARY_2025_BASELINE), {
        'x-correlation-id': 'catalog-2025-01',
      });
      expect(reply).toEqual({
        streamId: 'patch-KB5050009',
        version: 1,
        position: expect.stringMatching(/^\d+$/),
        events: [{ eventId: expect.any(String), type: 'PatchPublished', version: 1, position: reply.position, data: expect.anything() }],
        replayed: false,
        correlationId: 'catalog-2025-01',
      });
      expect(fromStruct(reply.events[0].data)).toEqual(JANUARY_2025_BASELINE);
      expect(headers.get('x-correlation-id')).toEqual(['catalog-2025-01']);
      expect(headers.get('etag')).toEqual(['"1"']);
      expect(headers.get('x-position')).toEqual([reply.position]);
      for (const patch of [FEBRUARY_2025_HOTPATCH, MARCH_2025_HOTPATCH, APRIL_2025_BASELINE, JULY_2025_BASELINE]) {
        await grpc.call('PatchCatalog', 'PublishPatch', publishRequest(patch));
      }
    });

    it('RevokePatch appends PatchRevoked; revoking again is FAILED_PRECONDITION (ALREADY_REVOKED)', async () => {
      const { reply } = await grpc.call('PatchCatalog', 'RevokePatch', { patchId: 'KB5062553', reason: 'known issue: boot loop' });
      expect(reply).toMatchObject({ streamId: 'patch-KB5062553', version: 2, events: [{ type: 'PatchRevoked' }] });
      expect(fromStruct(reply.events[0].data)).toMatchObject({ patchId: 'KB5062553', reason: 'known issue: boot loop' });
      const again = await grpc.failure('PatchCatalog', 'RevokePatch', { patchId: 'KB5062553', reason: 'again' });
      expect(again).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'ALREADY_REVOKED' });
    });

    it('PublishPatch of a known KB is ALREADY_EXISTS (PATCH_EXISTS); a bad definition is INVALID_ARGUMENT naming each field', async () => {
      expect(await grpc.failure('PatchCatalog', 'PublishPatch', publishRequest(JANUARY_2025_BASELINE))).toMatchObject({
        code: status.ALREADY_EXISTS,
        errorCode: 'PATCH_EXISTS',
      });
      const invalid = await grpc.failure('PatchCatalog', 'PublishPatch', { patchId: 'KB1', kind: 'hotfix', build: '26100', cves: ['CVE-1'] });
      expect(invalid.code).toBe(status.INVALID_ARGUMENT);
      expect(invalid.errorCode).toBe('VALIDATION_FAILED');
      expect(invalid.errorDetails.fields.map((f: { field: string }) => f.field)).toEqual(
        expect.arrayContaining(['patchId', 'kind', 'build', 'releasedAt', 'architectures', 'cves[0]']),
      );
      expect(invalid.metadata['field-violations']).toContain('patchId: must match a KB number such as KB5050009');
    });
  });

  describe('DeviceCommands', () => {
    it('runs every device command and records what REST records', async () => {
      const register = await grpc.call('DeviceCommands', 'RegisterDevice', registerRequest('g-0001'));
      expect(register.reply).toMatchObject({ streamId: 'device-g-0001', version: 1, events: [{ type: 'DeviceRegistered' }] });
      expect(fromStruct(register.reply.events[0].data)).toEqual({
        deviceId: 'g-0001',
        hostname: 'g-0001.corp.contoso.example',
        profile: aDeviceProfile(),
        registeredAt: '2025-01-20T08:00:00Z',
      });

      const steps: [string, object, string, Record<string, unknown>][] = [
        ['ReportDeviceProfile', { deviceId: 'g-0001', hotpatchEnabled: true, chpeDisabled: false }, 'DeviceProfileReported', { changes: { hotpatchEnabled: true, chpeDisabled: false } }],
        ['ApplyHotpatch', { deviceId: 'g-0001', patchId: 'KB5052093', appliedAt: '2025-02-12T09:00:00Z' }, 'HotpatchApplied', { patchId: 'KB5052093', appliedAt: '2025-02-12T09:00:00Z' }],
        ['CommitOnReboot', { deviceId: 'g-0001', bootId: 'boot-7' }, 'DeviceRebooted', { bootId: 'boot-7', committed: ['KB5052093'] }],
        ['ReportHotpatchFailure', { deviceId: 'g-0001', patchId: 'KB5053636', errorCode: '0x800F0922' }, 'HotpatchFailed', { errorCode: '0x800f0922' }],
        ['StageUpdate', { deviceId: 'g-0001', patchId: 'KB5055523' }, 'UpdateStaged', { patchId: 'KB5055523', kind: 'baseline', replaces: null }],
        ['RevertHotpatch', { deviceId: 'g-0001', patchId: 'KB5052093' }, 'HotpatchReverted', { patchId: 'KB5052093', leavesDiskAtReboot: true }],
        ['RetireDevice', { deviceId: 'g-0001', reason: 'decommissioned' }, 'DeviceRetired', { reason: 'decommissioned' }],
      ];
      for (const [index, [method, request, type, data]] of steps.entries()) {
        const { reply } = await grpc.call('DeviceCommands', method, request);
        expect({ method, reply }).toMatchObject({ method, reply: { streamId: 'device-g-0001', version: index + 2, events: [{ type }] } });
        expect(fromStruct(reply.events[0].data)).toMatchObject({ deviceId: 'g-0001', ...data });
      }
      // The events carry the calling key as actor, like REST.
      const timeline = await collect(grpc.stream('Audit', 'GetTimeline', { deviceId: 'g-0001' }));
      expect(timeline.map((e) => e.type)).toEqual(['DeviceRegistered', ...steps.map(([, , type]) => type)]);
      expect(timeline.every((e) => e.actor.id === 'test-operator' && e.actor.role === 'operator')).toBe(true);
    });

    it('takes idempotency-key, if-match / expected-version and x-correlation-id as metadata', async () => {
      await grpc.call('DeviceCommands', 'RegisterDevice', registerRequest('g-0002'));
      const apply = { deviceId: 'g-0002', patchId: 'KB5052093' };
      const first = await grpc.call('DeviceCommands', 'ApplyHotpatch', apply, { 'idempotency-key': 'apply-g-0002-feb', 'x-correlation-id': 'rollout-feb' });
      const replay = await grpc.call('DeviceCommands', 'ApplyHotpatch', apply, { 'idempotency-key': 'apply-g-0002-feb' });
      expect(first.reply.replayed).toBe(false);
      expect(replay.reply).toEqual({ ...first.reply, replayed: true, correlationId: expect.any(String) });
      expect(replay.headers.get('idempotent-replayed')).toEqual(['true']);
      const reused = await grpc.failure('DeviceCommands', 'ApplyHotpatch', { deviceId: 'g-0002', patchId: 'KB5053636' }, { 'idempotency-key': 'apply-g-0002-feb' });
      expect(reused).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'IDEMPOTENCY_KEY_REUSED' });

      const stale = await grpc.failure('DeviceCommands', 'CommitOnReboot', { deviceId: 'g-0002' }, { 'if-match': '"1"' });
      expect(stale).toMatchObject({ code: status.ABORTED, errorCode: 'VERSION_CONFLICT', errorDetails: { expectedVersion: 1, actualVersion: 2 } });
      const current = await grpc.call('DeviceCommands', 'CommitOnReboot', { deviceId: 'g-0002' }, { 'expected-version': '2' });
      expect(current.reply.version).toBe(3);
      expect(current.headers.get('etag')).toEqual(['"3"']);

      const timeline = await collect(grpc.stream('Audit', 'GetTimeline', { deviceId: 'g-0002', types: ['HotpatchApplied'] }));
      expect(timeline).toHaveLength(1);
      expect(timeline[0].correlationId).toBe('rollout-feb');

      const badMetadata = await grpc.failure('DeviceCommands', 'CommitOnReboot', { deviceId: 'g-0002' }, {
        'x-correlation-id': 'not allowed!',
        'if-match': 'latest',
        'idempotency-key': 'spaces are not allowed',
      });
      expect(badMetadata.code).toBe(status.INVALID_ARGUMENT);
      expect(badMetadata.errorDetails.fields.map((f: { field: string }) => f.field)).toEqual(['x-correlation-id', 'if-match', 'idempotency-key']);
    });

    it('maps every domain refusal of a command to its gRPC status, with the domain code in trailing metadata', async () => {
      await grpc.call('DeviceCommands', 'RegisterDevice', registerRequest('g-0003'));
      await grpc.call('DeviceCommands', 'RegisterDevice', registerRequest('g-retired'));
      await grpc.call('DeviceCommands', 'RetireDevice', { deviceId: 'g-retired' });
      await grpc.call('DeviceCommands', 'ApplyHotpatch', { deviceId: 'g-0003', patchId: 'KB5052093' });
      const cases: [string, object, status, string][] = [
        ['RegisterDevice', registerRequest('g-0003'), status.ALREADY_EXISTS, 'DEVICE_EXISTS'],
        ['ApplyHotpatch', { deviceId: 'nobody', patchId: 'KB5052093' }, status.NOT_FOUND, 'DEVICE_NOT_FOUND'],
        ['ApplyHotpatch', { deviceId: 'g-0003', patchId: 'KB9999999' }, status.NOT_FOUND, 'PATCH_NOT_FOUND'],
        ['ApplyHotpatch', { deviceId: 'g-0003', patchId: 'KB5052093' }, status.ALREADY_EXISTS, 'ALREADY_APPLIED'],
        ['ApplyHotpatch', { deviceId: 'g-0003', patchId: 'KB5050009' }, status.FAILED_PRECONDITION, 'WRONG_PATCH_KIND'],
        ['StageUpdate', { deviceId: 'g-0003', patchId: 'KB5062553' }, status.FAILED_PRECONDITION, 'PATCH_REVOKED'],
        ['StageUpdate', { deviceId: 'g-0003', patchId: 'KB5050009' }, status.FAILED_PRECONDITION, 'UPDATE_NOT_NEWER'],
        ['RevertHotpatch', { deviceId: 'g-0003', patchId: 'KB5053636' }, status.FAILED_PRECONDITION, 'HOTPATCH_NOT_INSTALLED'],
        ['ReportDeviceProfile', { deviceId: 'g-retired', vbs: 'off' }, status.FAILED_PRECONDITION, 'DEVICE_RETIRED'],
        ['ReportDeviceProfile', { deviceId: 'g-0003' }, status.INVALID_ARGUMENT, 'VALIDATION_FAILED'],
        ['RegisterDevice', { deviceId: 'g 0004', profile: { product: 'windows-12' } }, status.INVALID_ARGUMENT, 'VALIDATION_FAILED'],
      ];
      for (const [method, request, code, errorCode] of cases) {
        const failure = await grpc.failure('DeviceCommands', method, request);
        expect({ method, errorCode: failure.errorCode, code: status[failure.code] }).toEqual({ method, errorCode, code: status[code] });
      }
      const invalid = await grpc.failure('DeviceCommands', 'RegisterDevice', { deviceId: 'g 0004', profile: { product: 'windows-12' } });
      expect(invalid.errorDetails.fields.map((f: { field: string }) => f.field)).toEqual(
        expect.arrayContaining(['deviceId', 'hostname', 'profile.product', 'profile.edition', 'profile.hotpatchEnabled']),
      );
    });

    it('answers a recorded refusal (NOT_ELIGIBLE) with FAILED_PRECONDITION and the reasons in trailing metadata', async () => {
      await grpc.call('DeviceCommands', 'RegisterDevice', registerRequest('g-pro', aDeviceProfile({ edition: 'pro', vbs: 'enabled' })));
      const refused = await grpc.failure('DeviceCommands', 'ApplyHotpatch', { deviceId: 'g-pro', patchId: 'KB5052093' });
      expect(refused).toMatchObject({
        code: status.FAILED_PRECONDITION,
        errorCode: 'NOT_ELIGIBLE',
        metadata: { reasons: 'VBS_NOT_RUNNING,UNSUPPORTED_EDITION', version: '2', 'stream-id': 'device-g-pro' },
        errorDetails: { reasons: ['VBS_NOT_RUNNING', 'UNSUPPORTED_EDITION'], patchId: 'KB5052093', version: 2 },
      });
      // The refusal is history: auditors see who tried.
      const timeline = await collect(grpc.stream('Audit', 'GetTimeline', { deviceId: 'g-pro' }));
      expect(timeline.at(-1)).toMatchObject({ type: 'HotpatchRejected', version: 2, position: refused.metadata.position });
    });
  });

  describe('access: the same keys and roles as REST', () => {
    it('refuses a call without a key, or with an unknown key, as UNAUTHENTICATED', async () => {
      expect(await as('').failure('DeviceQueries', 'GetFleetSummary', {})).toMatchObject({ code: status.UNAUTHENTICATED, errorCode: 'UNAUTHENTICATED' });
      expect(await as('psk_0000_nope').failure('DeviceQueries', 'GetFleetSummary', {})).toMatchObject({ code: status.UNAUTHENTICATED });
    });

    it('refuses a role without the permission as PERMISSION_DENIED, before anything is appended', async () => {
      const agent = as(stack.keys['device-agent']);
      expect(await agent.failure('PatchCatalog', 'PublishPatch', publishRequest(aDeviceAgentPatch()))).toMatchObject({
        code: status.PERMISSION_DENIED,
        errorCode: 'PERMISSION_DENIED',
      });
      expect(await agent.failure('Audit', 'Verify', {})).toMatchObject({ code: status.PERMISSION_DENIED });
      expect(await as(stack.keys.auditor).failure('DeviceCommands', 'RetireDevice', { deviceId: 'g-0003' })).toMatchObject({
        code: status.PERMISSION_DENIED,
      });
      const published = await collect(grpc.stream('Audit', 'ListAuditEvents', { types: ['PatchPublished'] }));
      expect(published.map((event) => event.streamId)).not.toContain('patch-KB5999999');
      const g3 = await collect(grpc.stream('Audit', 'GetTimeline', { deviceId: 'g-0003', types: ['DeviceRetired'] }));
      expect(g3).toEqual([]);
    });

    it('answers RESOURCE_EXHAUSTED (RATE_LIMITED) with retry-after when a key sends more than its budget', async () => {
      const { key, record } = await stack.api.get(ApiKeys).create({ name: 'grpc-burst', role: 'auditor', createdBy: 'grpc-e2e' });
      const burst = as(key);
      await burst.call('DeviceQueries', 'GetFleetSummary', {});
      const limiter = stack.api.get(RateLimiter);
      while (limiter.take(record.keyId) === 0) {
        // the key spends its whole bucket at once
      }
      const answers = await Promise.allSettled(Array.from({ length: 20 }, () => burst.call('DeviceQueries', 'GetFleetSummary', {})));
      const refusals = answers.flatMap((answer) => (answer.status === 'rejected' && isServiceError(answer.reason) ? [describeFailure(answer.reason)] : []));
      expect(refusals.length).toBeGreaterThanOrEqual(15);
      expect(refusals[0]).toMatchObject({ code: status.RESOURCE_EXHAUSTED, errorCode: 'RATE_LIMITED', metadata: { 'retry-after': expect.stringMatching(/^\d+$/) } });
    });
  });

  describe('DeviceQueries', () => {
    let position = '0';

    beforeAll(async () => {
      await grpc.call('DeviceCommands', 'RegisterDevice', registerRequest('g-q-1'));
      position = (await grpc.call('DeviceCommands', 'ApplyHotpatch', { deviceId: 'g-q-1', patchId: 'KB5052093', appliedAt: '2025-02-12T09:00:00Z' })).reply.position;
    });

    it('GetDevice waits for min_position and answers the projected device; as_of answers from the log', async () => {
      const { reply } = await grpc.call('DeviceQueries', 'GetDevice', { deviceId: 'g-q-1', minPosition: position });
      expect(reply).toMatchObject({
        deviceId: 'g-q-1',
        memory: { build: '26100.3032', hotpatches: ['KB5052093'] },
        disk: { build: '26100.2894', hotpatches: [] },
        pendingCommit: ['KB5052093'],
        pendingRestart: null,
        eligibility: { eligible: true, reasons: [], patchId: 'KB5053636' },
        version: 2,
        position,
      });
      const now = await grpc.call('DeviceQueries', 'GetDevice', { deviceId: 'g-q-1', asOf: new Date().toISOString() });
      expect(now.reply).toEqual(reply);
      const before = await grpc.failure('DeviceQueries', 'GetDevice', { deviceId: 'g-q-1', asOf: '2000-01-01T00:00:00Z' });
      expect(before).toMatchObject({ code: status.NOT_FOUND, errorCode: 'DEVICE_NOT_FOUND' });
    });

    it('ListDevices, GetRollout, GetCveExposure and GetFleetSummary answer from the read models', async () => {
      // min_position covers the device it names; the other devices' events may travel other partitions.
      const summary = await eventually(async () => {
        const { reply } = await grpc.call('DeviceQueries', 'GetFleetSummary', { minPosition: position });
        return reply.devices === 6 && reply.byState['pending-commit'] === 2 ? reply : undefined;
      });
      // Judged now: the 2025 reports are long stale, and what is offered and not run is past its deadline.
      expect(summary).toEqual({
        judgedAt: expect.any(String),
        devices: 6,
        byState: { 'pending-commit': 2, 'pending-restart': 0, ineligible: 1, 'up-to-date': 0, hotpatched: 3, retired: 2, overdue: 4, stale: 2 },
        byServicingPath: { hotpatch: 3, lcu: 0, ineligible: 1, 'unknown-build': 0 },
        byOffTrainReason: { MISSED_BASELINE: 0, CUMULATIVE_UPDATE_INSTALLED: 0, OS_UPGRADED_OUTSIDE_BASELINE: 0, HOTPATCH_FAILED: 0 },
        byIneligibilityReason: { UNSUPPORTED_EDITION: 1, VBS_NOT_RUNNING: 1 },
      });
      const list = await grpc.call('DeviceQueries', 'ListDevices', { state: 'pending-commit', limit: 1 });
      expect(list.reply.items.map((d: { deviceId: string }) => d.deviceId)).toEqual(['g-0003']);
      const next = await grpc.call('DeviceQueries', 'ListDevices', { state: 'pending-commit', limit: 1, cursor: list.reply.nextCursor });
      expect(next.reply).toMatchObject({ items: [{ deviceId: 'g-q-1', pendingCommit: ['KB5052093'] }] });
      expect(next.reply.nextCursor).toBeUndefined();
      const rollout = await grpc.call('DeviceQueries', 'GetRollout', { patchId: 'KB5052093' });
      // g-0001 reverted it, but a retired device no longer counts towards a rollout.
      expect(rollout.reply).toEqual({
        patchId: 'KB5052093',
        appliedInMemory: 3,
        committedOnDisk: 1,
        pendingCommit: 2,
        failed: 0,
        reverted: 0,
        rejected: { VBS_NOT_RUNNING: 1, UNSUPPORTED_EDITION: 1 },
        concerned: 4,
        carriedInMemory: 3,
        carriedOnDisk: 1,
      });
      const exposure = await grpc.call('DeviceQueries', 'GetCveExposure', { cveId: 'CVE-2025-21418', group: 'protectedInMemoryOnly' });
      expect(exposure.reply).toMatchObject({
        cveId: 'CVE-2025-21418',
        group: 'protectedInMemoryOnly',
        counts: { protectedOnDisk: 1, protectedInMemoryOnly: 2, exposed: 1 },
        devices: { items: [{ deviceId: 'g-0003' }, { deviceId: 'g-q-1', protectedInMemorySince: '2025-02-12T09:00:00.000Z' }] },
      });
      // Not on disk: the field is absent (null in REST).
      expect(exposure.reply.devices.items[1].protectedOnDiskSince).toBeUndefined();
    });

    it('refuses bad query input as INVALID_ARGUMENT, an unknown device as NOT_FOUND, a read model behind as UNAVAILABLE', async () => {
      const invalid: [string, object, string][] = [
        ['ListDevices', { state: 'sleeping' }, 'state'],
        ['ListDevices', { state: 'retired', limit: 5000 }, 'limit'],
        ['ListDevices', { state: 'retired', cursor: '%%%' }, 'cursor'],
        ['GetDevice', { deviceId: 'g-q-1', asOf: 'yesterday' }, 'asOf'],
        ['GetDevice', { deviceId: 'g-q-1', minPosition: '-3' }, 'minPosition'],
        ['GetCveExposure', { cveId: 'not-a-cve' }, 'cveId'],
        ['GetCveExposure', { cveId: 'CVE-2025-21418', group: 'everyone' }, 'group'],
        ['GetRollout', { patchId: 'KB1' }, 'patchId'],
      ];
      for (const [method, request, field] of invalid) {
        const failure = await grpc.failure('DeviceQueries', method, request);
        expect({ method, code: failure.code, fields: failure.errorDetails.fields.map((f: { field: string }) => f.field) }).toEqual({
          method,
          code: status.INVALID_ARGUMENT,
          fields: [field],
        });
      }
      expect(await grpc.failure('DeviceQueries', 'GetDevice', { deviceId: 'nobody' })).toMatchObject({ code: status.NOT_FOUND, errorCode: 'DEVICE_NOT_FOUND' });
      const behind = await grpc.failure('DeviceQueries', 'GetFleetSummary', { minPosition: String(BigInt(position) + 1_000_000n) });
      expect(behind).toMatchObject({ code: status.UNAVAILABLE, errorCode: 'PROJECTION_BEHIND' });
    });
  });

  describe('Audit', () => {
    it('Verify recomputes the chains, of one device or of every stream', async () => {
      const one = await grpc.call('Audit', 'Verify', { deviceId: 'g-0002' });
      expect(one.reply).toEqual({ ok: true, streamsChecked: 1, eventsChecked: 3, firstBroken: null });
      const all = await grpc.call('Audit', 'Verify', {});
      expect(all.reply).toMatchObject({ ok: true, firstBroken: null });
      expect(all.reply.streamsChecked).toBeGreaterThan(5);
      expect(await grpc.failure('Audit', 'Verify', { deviceId: 'nobody' })).toMatchObject({ code: status.NOT_FOUND });
    });

    it('ListAuditEvents streams the fleet log in position order, filtered, resumable from any message', async () => {
      const revocations = await collect(grpc.stream('Audit', 'ListAuditEvents', { types: ['PatchRevoked', 'DeviceRetired'] }));
      expect(revocations.map((e) => [e.type, e.streamId])).toEqual([
        ['PatchRevoked', 'patch-KB5062553'],
        ['DeviceRetired', 'device-g-0001'],
        ['DeviceRetired', 'device-g-retired'],
      ]);
      const afterFirst = await collect(grpc.stream('Audit', 'ListAuditEvents', { types: ['PatchRevoked', 'DeviceRetired'], cursor: revocations[0].resumeCursor }));
      expect(afterFirst.map(auditEventAsJson)).toEqual(revocations.slice(1).map(auditEventAsJson));
      const byOperator = await collect(grpc.stream('Audit', 'ListAuditEvents', { actor: 'test-operator', from: '2000-01-01T00:00:00Z' }));
      expect(byOperator.length).toBeGreaterThan(20);
      expect(byOperator.every((e) => e.actor.id === 'test-operator')).toBe(true);
      expect(await collect(grpc.stream('Audit', 'ListAuditEvents', { actor: 'nobody' }))).toEqual([]);
    });

    it('fails a stream with INVALID_ARGUMENT or NOT_FOUND before its first message', async () => {
      const failed = async (request: object) => {
        try {
          await collect(grpc.stream('Audit', 'GetTimeline', request));
          throw new Error('stream did not fail');
        } catch (error) {
          if (!isServiceError(error)) throw error;
          return describeFailure(error);
        }
      };
      const invalid = await failed({ deviceId: 'g-0001', types: ['Nope'], from: 'soon' });
      expect(invalid.code).toBe(status.INVALID_ARGUMENT);
      expect(invalid.errorDetails.fields.map((f: { field: string }) => f.field)).toEqual(['from', 'type']);
      expect(await failed({ deviceId: 'nobody' })).toMatchObject({ code: status.NOT_FOUND, errorCode: 'DEVICE_NOT_FOUND' });
    });

    it('streams a timeline of 10,000 events that the client reads incrementally, the server reading page by page', async () => {
      await appendLongHistory(stack.config.databaseUrl, 'g-long', 10_000);
      const db = stack.api.get<DataSource>(DATA_SOURCE);
      const query = jest.spyOn(db, 'query');
      /** Rows each read of the events table returned since the spy started. */
      const eventReads = () =>
        Promise.all(query.mock.calls.flatMap((call, i) => (/FROM events/.test(String(call[0])) ? [query.mock.results[i].value as Promise<unknown[]>] : [])));
      const rowsReadByServer = async () => (await eventReads()).reduce((sum, rows) => sum + rows.length, 0);
      try {
        const stream = grpc.stream('Audit', 'GetTimeline', { deviceId: 'g-long' });
        let received = 0;
        let prevHash: string | null = null;
        let rowsWhilePaused = -1;
        const brokenLinks: number[] = [];
        const done = new Promise<void>((resolve, reject) => {
          stream.on('data', (event: any) => {
            received += 1;
            if (event.version !== received || (event.prevHash ?? null) !== prevHash) brokenLinks.push(event.version);
            prevHash = event.hash;
            if (received === 100) {
              // The client stops reading: flow control must stop the server's reads too.
              stream.pause();
              setTimeout(() => {
                rowsReadByServer().then((rows) => {
                  rowsWhilePaused = rows;
                  stream.resume();
                }, reject);
              }, 500);
            }
          });
          stream.on('error', reject);
          stream.on('end', resolve);
        });
        await done;
        expect(received).toBe(10_000);
        expect(brokenLinks).toEqual([]);
        expect(rowsWhilePaused).toBeGreaterThanOrEqual(100);
        // A few pages at most: what HTTP/2 flow control lets through, not the whole selection.
        expect(rowsWhilePaused).toBeLessThanOrEqual(2_000);
        expect(await rowsReadByServer()).toBe(10_000);
        expect(Math.max(...(await eventReads()).map((rows) => rows.length))).toBeLessThanOrEqual(500);
      } finally {
        query.mockRestore();
      }
    });

    it('streams the same events the REST timeline pages hold', async () => {
      const streamed = (await collect(grpc.stream('Audit', 'GetTimeline', { deviceId: 'g-0001' }))).map(auditEventAsJson);
      const rest = await eventually(async () => {
        const response = await fetch(`${stack.baseUrl}/v1/devices/g-0001/timeline`, { headers: { authorization: `Bearer ${stack.keys.auditor}` } });
        return response.ok ? ((await response.json()) as { items: unknown[] }) : undefined;
      });
      expect(streamed).toEqual(rest.items);
    });
  });
});

/** Dependencies named by the files received so far that were not received yet. */
function missingDependencies(files: Map<string, IFileDescriptorProto>): string[] {
  return [...files.values()].flatMap((file) => ((file.dependency as string[] | undefined) ?? []).filter((name) => !files.has(name)));
}

function typeReferences(file: IFileDescriptorProto): string[] {
  const ofMessage = (message: IDescriptorProto): string[] => [
    ...(message.field ?? []).flatMap((field) => (field.typeName ? [field.typeName] : [])),
    ...(message.nestedType ?? []).flatMap(ofMessage),
  ];
  return [
    ...(file.messageType ?? []).flatMap(ofMessage),
    ...(file.service ?? []).flatMap((service) => (service.method ?? []).flatMap((method) => [method.inputType!, method.outputType!])),
  ];
}

function definingFile(files: Map<string, IFileDescriptorProto>, reference: string): string | undefined {
  const ofMessage = (scope: string, message: IDescriptorProto): string[] => [
    `${scope}.${message.name}`,
    ...(message.enumType ?? []).map((e) => `${scope}.${message.name}.${e.name}`),
    ...(message.nestedType ?? []).flatMap((nested) => ofMessage(`${scope}.${message.name}`, nested)),
  ];
  for (const file of files.values()) {
    const scope = `.${file.package}`;
    const defined = [...(file.messageType ?? []).flatMap((m) => ofMessage(scope, m)), ...(file.enumType ?? []).map((e) => `${scope}.${e.name}`)];
    if (defined.includes(reference)) return file.name;
  }
  return undefined;
}

/** A patch a device agent has no business publishing. */
function aDeviceAgentPatch(): PatchDefinition {
  return { ...FEBRUARY_2025_HOTPATCH, patchId: 'KB5999999' };
}
