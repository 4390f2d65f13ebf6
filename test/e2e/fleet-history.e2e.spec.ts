import { status } from '@grpc/grpc-js';
import { grpcPortOf } from '../../apps/api/src/bootstrap';
import { http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';
import { releasesText } from './servicing-fleet';
import { CONSOLE_FLEET, ago } from './console-fleet';
import { PatchstateGrpcClient, withoutNulls } from './grpc-client';

/*
 * GET /v1/fleet/history (issue 16): each point is the fleet summary asOf its moment, that is the log as recorded by
 * then. The console's small fleet is recorded in two batches 1.5 s apart, so with a 1 s step at least one point
 * falls between them and the points differ.
 */
describe('fleet history (REST and gRPC): the summary at each step, as the summary asOf answers it', () => {
  let stack: TestStack;
  let position = '0';
  let start = '';
  let end = '';
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const get = async (path: string): Promise<any> => {
    const result = await http(stack.baseUrl, 'GET', `${path}${path.includes('?') ? '&' : '?'}minPosition=${position}`);
    expect({ path, status: result.status }).toEqual({ path, status: 200 });
    return result.body;
  };
  const post = async (path: string, body: unknown) => {
    const result = await http(stack.baseUrl, 'POST', path, body, { authorization: `Bearer ${stack.keys.operator}` });
    expect({ path, status: result.status }).toEqual({ path, status: 201 });
    position = result.headers.get('x-position') ?? position;
  };

  beforeAll(async () => {
    stack = await startTestStack();
    await post('/v1/catalog/imports', { format: 'json', content: releasesText() });
    start = new Date().toISOString();
    for (const [i, device] of CONSOLE_FLEET.entries()) {
      if (i === 2) await pause(1500);
      await post('/v1/devices', { ...device, hostname: `${device.deviceId}.corp.example` });
    }
    await post('/v1/devices/due-lcu/updates', { patchId: 'KB5129195', stagedAt: ago(1) });
    await pause(1500);
    end = new Date().toISOString();
  });

  afterAll(async () => stack?.close());

  it('answers one point per step from from to to, each equal to the summary asOf that moment', async () => {
    const history = await get(`/v1/fleet/history?from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}&step=1s`);
    expect(history).toMatchObject({ from: start, to: end, step: '1s' });
    expect(history.points.length).toBe(Math.floor((Date.parse(end) - Date.parse(start)) / 1000) + 1);
    for (const point of history.points) {
      expect(point).toEqual(await get(`/v1/fleet/summary?asOf=${encodeURIComponent(point.judgedAt)}`));
    }
    // Nothing recorded at the start, the first batch alone between the two, all five (one staged) at the end.
    const devices = history.points.map((point: any) => point.devices);
    expect(devices[0]).toBe(0);
    expect(devices).toContain(2);
    expect(devices.at(-1)).toBe(5);
    expect([...devices].sort((a, b) => a - b)).toEqual(devices);
    expect(history.points.at(-1).byState['pending-restart']).toBe(1);
  });

  it('defaults to a point a day over the last 30 days', async () => {
    const history = await get('/v1/fleet/history');
    expect(history.step).toBe('1d');
    expect(history.points).toHaveLength(31);
  });

  it('refuses a bad step, a future end and a range of too many points, naming the field', async () => {
    const refused = async (query: string, field: string) => {
      const result = await http(stack.baseUrl, 'GET', `/v1/fleet/history?${query}`);
      expect({ query, status: result.status, fields: result.body.details.fields.map((f: any) => f.field) }).toEqual({ query, status: 400, fields: [field] });
    };
    await refused('step=0d', 'step');
    await refused(`to=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`, 'to');
    await refused(`from=${encodeURIComponent(ago(500))}&step=1d`, 'step');
    await refused('from=yesterday', 'from');
  });

  it('answers the same over gRPC (DeviceQueries.GetFleetHistory) as over REST, and refuses the same way', async () => {
    const grpc = new PatchstateGrpcClient(`127.0.0.1:${grpcPortOf(stack.api)}`, stack.keys.auditor);
    try {
      const { reply } = await grpc.call('DeviceQueries', 'GetFleetHistory', { from: start, to: end, step: '1s', minPosition: position });
      const rest = await get(`/v1/fleet/history?from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}&step=1s`);
      // Fixed moments, so every point is judged at the same instant on both: the answers are equal whole.
      expect(withoutNulls(reply)).toEqual(withoutNulls(rest));
      expect(reply.points.length).toBeGreaterThan(2);
      const failure = await grpc.failure('DeviceQueries', 'GetFleetHistory', { step: '0d' });
      expect({ code: failure.code, errorCode: failure.errorCode }).toEqual({ code: status.INVALID_ARGUMENT, errorCode: 'VALIDATION_FAILED' });
    } finally {
      grpc.close();
    }
  });
});
