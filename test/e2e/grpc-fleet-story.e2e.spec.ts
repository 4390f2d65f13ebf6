import { status } from '@grpc/grpc-js';
import { DEVICE_LIST_STATES, EXPOSURE_GROUPS } from '@patchstate/read-models';
import { PatchDefinition } from '@patchstate/domain';
import { grpcPortOf } from '../../apps/api/src/bootstrap';
import {
  APRIL_2025_BASELINE,
  APRIL_2025_CVES,
  FEBRUARY_2025_CVES,
  FEBRUARY_2025_HOTPATCH,
  JANUARY_2025_BASELINE,
  MARCH_2025_CVES,
  MARCH_2025_HOTPATCH,
  aDeviceProfile,
} from '../builders';
import { http } from '../support/http-client';
import { TestStack, eventually, startTestStack } from '../support/test-stack';
import { PatchstateGrpcClient, auditEventAsJson, collect, isServiceError, withoutJudgedAt, withoutNulls } from './grpc-client';

type Transport = 'REST' | 'gRPC';

/** One command of the story, as each transport spells it. */
interface Step {
  rest: { path: string; body: unknown };
  grpc: { service: 'DeviceCommands' | 'PatchCatalog'; method: string; request: Record<string, unknown> };
  /** A recorded refusal: REST 422, gRPC FAILED_PRECONDITION, both NOT_ELIGIBLE. */
  refused?: boolean;
}

function publish(patch: PatchDefinition): Step {
  const request = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== null));
  return { rest: { path: '/v1/patches', body: request }, grpc: { service: 'PatchCatalog', method: 'PublishPatch', request } };
}

function register(deviceId: string, profile = aDeviceProfile()): Step {
  const request = { deviceId, hostname: `${deviceId}.corp.example`, profile, registeredAt: '2025-01-20T08:00:00Z' };
  return { rest: { path: '/v1/devices', body: request }, grpc: { service: 'DeviceCommands', method: 'RegisterDevice', request } };
}

/** A device command whose REST path is /v1/devices/{id}/<suffix> and whose body is the request minus the ids in the path. */
function deviceStep(method: string, suffix: string, request: Record<string, unknown>, options: { pathPatch?: string; refused?: boolean } = {}): Step {
  const { deviceId, ...body } = request;
  if (options.pathPatch) delete body.patchId;
  return {
    rest: { path: `/v1/devices/${deviceId as string}/${suffix}`, body },
    grpc: { service: 'DeviceCommands', method, request },
    refused: options.refused,
  };
}

/**
 * The fleet story of issue 4 told through both doors at once: its commands alternate between REST and gRPC,
 * then every question is asked through both, and the answers must be the same data.
 */
describe('fleet story through REST and gRPC: the same commands, the same answers', () => {
  let stack: TestStack;
  let grpc: PatchstateGrpcClient;
  let lastPosition = '0';
  let snapshotAt = '';

  const story: Step[] = [
    publish(JANUARY_2025_BASELINE),
    publish(FEBRUARY_2025_HOTPATCH),
    publish(MARCH_2025_HOTPATCH),
    publish(APRIL_2025_BASELINE),
    register('ws-1'),
    register('ws-2'),
    register('ws-3'),
    register('ws-pro', aDeviceProfile({ edition: 'pro', vbs: 'enabled' })),
    deviceStep('ApplyHotpatch', 'hotpatches', { deviceId: 'ws-1', patchId: 'KB5052093', appliedAt: '2025-02-12T09:00:00Z' }),
    deviceStep('ApplyHotpatch', 'hotpatches', { deviceId: 'ws-2', patchId: 'KB5052093', appliedAt: '2025-02-12T09:05:00Z' }),
    deviceStep('ApplyHotpatch', 'hotpatches', { deviceId: 'ws-3', patchId: 'KB5052093', appliedAt: '2025-02-12T09:10:00Z' }),
    deviceStep('CommitOnReboot', 'reboots', { deviceId: 'ws-1', bootId: 'boot-1', rebootedAt: '2025-02-15T22:00:00Z' }),
    deviceStep('StageUpdate', 'updates', { deviceId: 'ws-1', patchId: 'KB5055523', stagedAt: '2025-04-09T10:00:00Z' }),
    deviceStep('ApplyHotpatch', 'hotpatches', { deviceId: 'ws-pro', patchId: 'KB5053636', appliedAt: '2025-03-12T09:00:00Z' }, { refused: true }),
    deviceStep('ReportHotpatchFailure', 'failures', { deviceId: 'ws-3', patchId: 'KB5053636', errorCode: '0x800f0922', failedAt: '2025-03-12T10:00:00Z' }),
    deviceStep('CommitOnReboot', 'reboots', { deviceId: 'ws-1', rebootedAt: '2025-04-10T22:00:00Z' }),
    deviceStep('RevertHotpatch', 'hotpatches/KB5052093/revert', { deviceId: 'ws-2', patchId: 'KB5052093', revertedAt: '2025-02-20T10:00:00Z' }, { pathPatch: 'KB5052093' }),
    deviceStep('ReportDeviceProfile', 'profile', { deviceId: 'ws-2', vbs: 'enabled', reportedAt: '2025-02-21T08:00:00Z' }),
    deviceStep('ApplyHotpatch', 'hotpatches', { deviceId: 'ws-3', patchId: 'KB5053636', appliedAt: '2025-03-13T09:00:00Z' }),
    deviceStep('RetireDevice', 'retire', { deviceId: 'ws-2', reason: 'stolen', retiredAt: '2025-03-01T00:00:00Z' }),
  ];

  async function tellThrough(transport: Transport, step: Step): Promise<string> {
    if (transport === 'REST') {
      const result = await http(stack.baseUrl, 'POST', step.rest.path, step.rest.body, { authorization: `Bearer ${stack.keys.operator}` });
      expect({ path: step.rest.path, status: result.status, body: result.body }).toMatchObject({ status: step.refused ? 422 : 201 });
      return result.headers.get('x-position')!;
    }
    try {
      const { reply } = await grpc.call(step.grpc.service, step.grpc.method, step.grpc.request);
      expect(step.refused ?? false).toBe(false);
      return reply.position;
    } catch (error) {
      if (!isServiceError(error) || !step.refused) throw error;
      expect({ code: error.code, errorCode: error.metadata.get('error-code')[0] }).toEqual({ code: status.FAILED_PRECONDITION, errorCode: 'NOT_ELIGIBLE' });
      return error.metadata.get('position')[0] as string;
    }
  }

  /** Asks one question through both transports and insists on the same data. */
  async function bothAgree(question: string, rest: () => Promise<unknown>, viaGrpc: () => Promise<unknown>): Promise<any> {
    const [restAnswer, grpcAnswer] = await Promise.all([rest(), viaGrpc()]);
    expect({ question, answer: withoutNulls(withoutJudgedAt(grpcAnswer)) }).toEqual({ question, answer: withoutNulls(withoutJudgedAt(restAnswer)) });
    return restAnswer;
  }

  async function restGet(path: string): Promise<any> {
    const separator = path.includes('?') ? '&' : '?';
    const result = await http(stack.baseUrl, 'GET', `${path}${separator}minPosition=${lastPosition}`);
    expect({ path, status: result.status }).toEqual({ path, status: 200 });
    return result.body;
  }

  async function grpcAsk(method: string, request: Record<string, unknown>): Promise<any> {
    return (await grpc.call('DeviceQueries', method, { ...request, minPosition: lastPosition })).reply;
  }

  beforeAll(async () => {
    stack = await startTestStack({ env: { GRPC_PORT: '0', GRPC_HOST: '127.0.0.1' } });
    grpc = new PatchstateGrpcClient(`127.0.0.1:${grpcPortOf(stack.api)}`, stack.keys.operator);
    for (const [index, step] of story.entries()) {
      lastPosition = await tellThrough(index % 2 === 0 ? 'REST' : 'gRPC', step);
      if (index === 11) snapshotAt = new Date().toISOString();
    }
    // Every device's last event applied: then every projection has the whole story.
    await eventually(async () => {
      const summary = await restGet('/v1/fleet/summary');
      return summary.devices === 4 && summary.byState.retired === 1 && summary.byState['pending-restart'] === 0 ? summary : undefined;
    });
  });

  afterAll(async () => {
    grpc?.close();
    await stack?.close();
  });

  it('ends in the expected fleet, whichever door each command came through', async () => {
    const summary = await bothAgree('fleet summary', () => restGet('/v1/fleet/summary'), () => grpcAsk('GetFleetSummary', {}));
    // Judged now: the 2025 reports are stale (counted apart, never up to date) and two devices are past a deadline.
    expect(summary).toEqual({
      judgedAt: expect.any(String),
      devices: 4,
      byState: { 'pending-commit': 1, 'pending-restart': 0, ineligible: 1, 'up-to-date': 0, hotpatched: 1, retired: 1, overdue: 2, stale: 3 },
      byServicingPath: { hotpatch: 2, lcu: 0, ineligible: 1, 'unknown-build': 0 },
      byOffTrainReason: { MISSED_BASELINE: 0, CUMULATIVE_UPDATE_INSTALLED: 0, OS_UPGRADED_OUTSIDE_BASELINE: 0, HOTPATCH_FAILED: 0 },
      byIneligibilityReason: { UNSUPPORTED_EDITION: 1, VBS_NOT_RUNNING: 1 },
    });
    const ws1 = await restGet('/v1/devices/ws-1');
    expect(ws1).toMatchObject({ memory: { build: '26100.3775', hotpatches: [] }, disk: { build: '26100.3775' }, pendingRestart: null, version: 5 });
    const ws3 = await restGet('/v1/devices/ws-3');
    expect(ws3).toMatchObject({ memory: { hotpatches: ['KB5052093', 'KB5053636'] }, pendingCommit: ['KB5052093', 'KB5053636'] });
  });

  it('answers every device, now and as of a past moment, the same through both', async () => {
    for (const deviceId of ['ws-1', 'ws-2', 'ws-3', 'ws-pro']) {
      await bothAgree(`device ${deviceId}`, () => restGet(`/v1/devices/${deviceId}`), () => grpcAsk('GetDevice', { deviceId }));
      await bothAgree(
        `device ${deviceId} as of ${snapshotAt}`,
        () => restGet(`/v1/devices/${deviceId}?asOf=${encodeURIComponent(snapshotAt)}`),
        () => grpcAsk('GetDevice', { deviceId, asOf: snapshotAt }),
      );
    }
    const past = await restGet(`/v1/devices/ws-1?asOf=${encodeURIComponent(snapshotAt)}`);
    expect(past).toMatchObject({ version: 3, disk: { hotpatches: ['KB5052093'] }, pendingCommit: [], pendingRestart: null });
  });

  it('lists every state page by page the same through both', async () => {
    for (const state of DEVICE_LIST_STATES) {
      let cursor: string | undefined;
      do {
        const page = await bothAgree(
          `devices ${state} after ${cursor ?? 'start'}`,
          () => restGet(`/v1/devices?state=${state}&limit=1${cursor ? `&cursor=${cursor}` : ''}`),
          () => grpcAsk('ListDevices', { state, limit: 1, ...(cursor ? { cursor } : {}) }),
        );
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
    }
  });

  it('answers every rollout and every CVE exposure group the same through both', async () => {
    for (const patchId of ['KB5052093', 'KB5053636', 'KB5055523']) {
      await bothAgree(`rollout ${patchId}`, () => restGet(`/v1/patches/${patchId}/rollout`), () => grpcAsk('GetRollout', { patchId }));
    }
    const feb = await restGet('/v1/patches/KB5052093/rollout');
    expect(feb).toEqual({
      patchId: 'KB5052093',
      appliedInMemory: 1,
      committedOnDisk: 0,
      pendingCommit: 1,
      failed: 0,
      reverted: 0,
      rejected: {},
      // through the catalog: the devices whose running release carries February's hotpatch
      concerned: 3,
      carriedInMemory: 2,
      carriedOnDisk: 1,
    });
    for (const cveId of [FEBRUARY_2025_CVES[0], MARCH_2025_CVES[0], APRIL_2025_CVES[0]]) {
      for (const group of EXPOSURE_GROUPS) {
        await bothAgree(
          `exposure ${cveId} ${group}`,
          () => restGet(`/v1/cves/${cveId}/exposure?group=${group}&limit=2`),
          () => grpcAsk('GetCveExposure', { cveId, group, limit: 2 }),
        );
      }
    }
  });

  it('tells every timeline, the fleet audit log and the chain verification the same through both', async () => {
    const auditor = { authorization: `Bearer ${stack.keys.auditor}` };
    for (const deviceId of ['ws-1', 'ws-2', 'ws-3', 'ws-pro']) {
      await bothAgree(
        `timeline ${deviceId}`,
        async () => (await http(stack.baseUrl, 'GET', `/v1/devices/${deviceId}/timeline?limit=1000`, undefined, auditor)).body.items,
        async () => (await collect(grpc.stream('Audit', 'GetTimeline', { deviceId }))).map(auditEventAsJson),
      );
    }
    const log = await bothAgree(
      'audit log',
      async () => {
        const response = await fetch(`${stack.baseUrl}/v1/audit/events`, { headers: { ...auditor, accept: 'application/x-ndjson' } });
        return (await response.text()).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));
      },
      async () => (await collect(grpc.stream('Audit', 'ListAuditEvents', {}))).map(auditEventAsJson),
    );
    expect(log).toHaveLength(story.length);
    expect(log.map((event: { type: string }) => event.type)).toContain('HotpatchRejected');
    await bothAgree(
      'verify',
      async () => (await http(stack.baseUrl, 'GET', '/v1/audit/verify', undefined, auditor)).body,
      async () => (await grpc.call('Audit', 'Verify', {})).reply,
    );
  });

  it('refuses the same bad input with the same code and the same field names', async () => {
    const cases: [string, () => Promise<any>, () => Promise<any>][] = [
      [
        'register without a profile',
        async () => (await http(stack.baseUrl, 'POST', '/v1/devices', { deviceId: 'x y', hostname: 'h' })).body,
        () => grpc.failure('DeviceCommands', 'RegisterDevice', { deviceId: 'x y', hostname: 'h' }),
      ],
      [
        'a list state that does not exist',
        async () => (await http(stack.baseUrl, 'GET', '/v1/devices?state=sleeping')).body,
        () => grpc.failure('DeviceQueries', 'ListDevices', { state: 'sleeping' }),
      ],
      [
        'an unknown device',
        async () => (await http(stack.baseUrl, 'GET', '/v1/devices/nobody')).body,
        () => grpc.failure('DeviceQueries', 'GetDevice', { deviceId: 'nobody' }),
      ],
      [
        'a duplicate registration',
        async () => (await http(stack.baseUrl, 'POST', '/v1/devices', register('ws-1').rest.body)).body,
        () => grpc.failure('DeviceCommands', 'RegisterDevice', register('ws-1').grpc.request),
      ],
    ];
    for (const [question, rest, viaGrpc] of cases) {
      const [restError, grpcError] = await Promise.all([rest(), viaGrpc()]);
      expect({ question, code: grpcError.errorCode, details: grpcError.errorDetails }).toEqual({
        question,
        code: restError.code,
        details: restError.details,
      });
    }
  });
});
