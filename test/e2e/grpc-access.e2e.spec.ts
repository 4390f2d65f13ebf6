import { status } from '@grpc/grpc-js';
import { Role } from '@patchstate/auth';
import { DATA_SOURCE } from '@patchstate/event-store';
import { DataSource } from 'typeorm';
import { grpcPortOf } from '../../apps/api/src/bootstrap';
import { FEBRUARY_2025_HOTPATCH, aDeviceProfile } from '../builders';
import { secretOf } from '../support/api-key-secret';
import { captureStdout } from '../support/stdout-capture';
import { TestStack, startTestStack } from '../support/test-stack';
import { PatchstateGrpcClient, collect, isServiceError } from './grpc-client';

type Group = 'device-commands' | 'catalog-commands' | 'queries' | 'audit';

/** The same policy as REST (test/e2e/access.e2e.spec.ts), checked over gRPC for every role and service. */
const ALLOWED: Record<Role, Group[]> = {
  'device-agent': ['device-commands'],
  operator: ['device-commands', 'catalog-commands', 'queries', 'audit'],
  auditor: ['queries', 'audit'],
  admin: ['device-commands', 'catalog-commands', 'queries', 'audit'],
};

describe('access over gRPC: every role against every service', () => {
  let stack: TestStack;
  let db: DataSource;
  let counter = 0;
  const clients: PatchstateGrpcClient[] = [];
  const client = (role: Role) => {
    const made = new PatchstateGrpcClient(`127.0.0.1:${grpcPortOf(stack.api)}`, stack.keys[role]);
    clients.push(made);
    return made;
  };
  const eventCount = async () => Number((await db.query('SELECT count(*) AS n FROM events'))[0].n);

  /** One representative call per service; resolves with the gRPC status code (0 = OK). */
  const calls: Record<Group, (grpc: PatchstateGrpcClient) => Promise<number>> = {
    'device-commands': (grpc) => {
      counter += 1;
      return outcome(grpc.call('DeviceCommands', 'RegisterDevice', { deviceId: `ga-${counter}`, hostname: `ga-${counter}.corp`, profile: aDeviceProfile() }));
    },
    'catalog-commands': (grpc) => {
      counter += 1;
      return outcome(grpc.call('PatchCatalog', 'PublishPatch', { ...FEBRUARY_2025_HOTPATCH, patchId: `KB58${String(counter).padStart(5, '0')}` }));
    },
    queries: (grpc) => outcome(grpc.call('DeviceQueries', 'GetFleetSummary', {})),
    audit: (grpc) => outcome(collect(grpc.stream('Audit', 'ListAuditEvents', {}))),
  };

  beforeAll(async () => {
    stack = await startTestStack({ projector: false });
    db = stack.api.get(DATA_SOURCE);
  });

  afterAll(async () => {
    for (const made of clients) made.close();
    await stack?.close();
  });

  for (const role of Object.keys(ALLOWED) as Role[]) {
    for (const group of Object.keys(calls) as Group[]) {
      const allowed = ALLOWED[role].includes(group);
      it(`${role} ${allowed ? 'may' : 'may not'} use ${group}`, async () => {
        const before = await eventCount();
        const code = await calls[group](client(role));
        if (allowed) expect(code).toBe(status.OK);
        else {
          expect(code).toBe(status.PERMISSION_DENIED);
          expect(await eventCount()).toBe(before);
        }
      });
    }
  }

  it('records the calling key as the actor of a gRPC command', async () => {
    await client('device-agent').call('DeviceCommands', 'RegisterDevice', { deviceId: 'ga-actor', hostname: 'ga-actor.corp', profile: aDeviceProfile() });
    const [row] = await db.query("SELECT metadata FROM events WHERE stream_id = 'device-ga-actor'");
    expect(row.metadata.actor).toEqual({ id: 'test-device-agent', role: 'device-agent' });
  });
});

async function outcome(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return status.OK;
  } catch (error) {
    if (isServiceError(error)) return error.code;
    throw error;
  }
}

describe('gRPC calls are logged like HTTP requests: actor and correlation id, never the key', () => {
  let stack: TestStack;
  let grpc: PatchstateGrpcClient;

  beforeAll(async () => {
    stack = await startTestStack({ projector: false, env: { REQUEST_LOG: 'true' } });
    grpc = new PatchstateGrpcClient(`127.0.0.1:${grpcPortOf(stack.api)}`, stack.keys.auditor);
  });

  afterAll(async () => {
    grpc?.close();
    await stack?.close();
  });

  it('writes a JSON line for a successful call and for a refused one', async () => {
    const grpcLines = (text: string) => text.split('\n').filter((line) => line.includes('"transport":"grpc"'));
    const written = await captureStdout(async () => {
      await grpc.call('DeviceQueries', 'GetFleetSummary', {}, { 'x-correlation-id': 'grpc-corr-1' });
      await outcome(grpc.call('DeviceCommands', 'RegisterDevice', { deviceId: 'nope', hostname: 'nope', profile: aDeviceProfile() }));
    }, (text) => grpcLines(text).length >= 2);
    const entries = grpcLines(written).map((line) => JSON.parse(line));
    expect(entries).toEqual([
      expect.objectContaining({ path: '/patchstate.v1.DeviceQueries/GetFleetSummary', status: status.OK, actor: 'test-auditor', correlationId: 'grpc-corr-1' }),
      expect.objectContaining({ path: '/patchstate.v1.DeviceCommands/RegisterDevice', status: status.PERMISSION_DENIED, actor: 'test-auditor' }),
    ]);
    for (const key of Object.values(stack.keys)) expect(written).not.toContain(secretOf(key));
  });
});
