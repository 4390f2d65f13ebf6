import { aDeviceProfile } from '../builders';
import { http } from '../support/http-client';
import { TestStack, eventually, startTestStack } from '../support/test-stack';
import { FEB } from './scripted-fleet';

/** Prometheus text exposition → samples by name with labels, e.g. `patchstate_projector_lag_events{partition="0"}`. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.set(match[1], Number(match[2]));
  }
  return samples;
}

async function scrape(url: string): Promise<{ contentType: string | null; samples: Map<string, number> }> {
  const response = await http<string>(url, 'GET', '/metrics');
  expect(response.status).toBe(200);
  return { contentType: response.headers.get('content-type'), samples: parseMetrics(response.body) };
}

describe('metrics in Prometheus text', () => {
  let stack: TestStack;
  let lastPosition: string;
  let events = 0;

  beforeAll(async () => {
    stack = await startTestStack();
    expect((await http(stack.baseUrl, 'POST', '/v1/patches', FEB)).status).toBe(201);
    events += 1;
    for (const deviceId of ['ws-m1', 'ws-m2', 'ws-m3', 'ws-m4']) {
      expect((await http(stack.baseUrl, 'POST', '/v1/devices', { deviceId, hostname: `${deviceId}.corp.contoso.example`, profile: aDeviceProfile() })).status).toBe(201);
      const applied = await http(stack.baseUrl, 'POST', `/v1/devices/${deviceId}/hotpatches`, { patchId: FEB.patchId });
      expect(applied.status).toBe(201);
      events += 2;
      lastPosition = applied.body.position;
    }
    expect((await http(stack.baseUrl, 'GET', `/v1/devices/ws-m4?minPosition=${lastPosition}`)).status).toBe(200);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('the projector shows events applied, lag per partition and throughput', async () => {
    const { contentType, samples } = await scrape(stack.projectorUrl());
    expect(contentType).toMatch(/^text\/plain/);
    expect(samples.get('patchstate_projector_events_applied_total')).toBe(events);
    expect(samples.get('patchstate_projector_events_duplicate_total')).toBe(0);
    expect(samples.get('patchstate_projector_events_parked_total')).toBe(0);
    expect(samples.get('patchstate_projector_batches_total')).toBeGreaterThan(0);
    expect(samples.get('patchstate_projector_group_joins_total')).toBe(1);
    expect(samples.get('patchstate_projector_throughput_events_per_second')).toBeGreaterThan(0);
    const lag = [...samples].filter(([name]) => name.startsWith('patchstate_projector_lag_events{'));
    expect(lag.length).toBeGreaterThan(0);
    for (const [name, value] of lag) {
      expect(name).toMatch(/^patchstate_projector_lag_events\{partition="[0-2]"\}$/);
      expect(value).toBe(0);
    }
  });

  it('the API shows the outbox waiting for Kafka and how far the read models trail the log', async () => {
    const caughtUp = (await scrape(stack.baseUrl)).samples;
    expect(caughtUp.get('patchstate_event_store_position')).toBe(Number(lastPosition));
    expect(caughtUp.get('patchstate_outbox_pending_events')).toBe(0);
    expect(caughtUp.get('patchstate_projection_lag_positions')).toBe(0);
    expect(caughtUp.get('patchstate_dead_letters_parked')).toBe(0);

    // Kafka out of reach (the relay stopped): the command is accepted, waits in the outbox, and the read models trail.
    const relay = stack.relay().relay;
    await relay.stop();
    const rebooted = await http(stack.baseUrl, 'POST', '/v1/devices/ws-m1/reboots', { bootId: 'boot-1' });
    expect(rebooted.status).toBe(201);
    const waiting = (await scrape(stack.baseUrl)).samples;
    expect(waiting.get('patchstate_outbox_pending_events')).toBe(1);
    expect(waiting.get('patchstate_projection_lag_positions')).toBe(1);

    await relay.start();
    await eventually(async () => {
      const samples = (await scrape(stack.baseUrl)).samples;
      return samples.get('patchstate_outbox_pending_events') === 0 && samples.get('patchstate_projection_lag_positions') === 0 ? true : undefined;
    });
    const projector = (await scrape(stack.projectorUrl())).samples;
    expect(projector.get('patchstate_projector_events_applied_total')).toBe(events + 1);
  });
});
