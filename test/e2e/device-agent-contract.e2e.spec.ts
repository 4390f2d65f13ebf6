import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';
import { releasesText } from './servicing-fleet';

const AGENT_DIR = path.join(__dirname, '../../agents/windows');
const SCRIPT = path.join(AGENT_DIR, 'patchstate-agent.ps1');

interface AgentRequest {
  method: string;
  path: string;
  idempotencyKey: string;
  body: Record<string, unknown>;
}
interface Fixture {
  name: string;
  file: string;
  description: string;
  facts: { deviceId: string };
  state: Record<string, unknown>;
  requests: AgentRequest[];
}

/** The recorded runs, in the order they happened (their names are numbered). */
const fixtures: Fixture[] = readdirSync(path.join(AGENT_DIR, 'fixtures'))
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => {
    const file = path.join(AGENT_DIR, 'fixtures', name);
    return { name, file, ...(JSON.parse(readFileSync(file, 'utf8')) as Omit<Fixture, 'name' | 'file'>) };
  });

function pwsh(): string | null {
  try {
    execFileSync('pwsh', ['-NoProfile', '-Command', '$PSVersionTable.PSVersion.Major'], { stdio: 'pipe' });
    return 'pwsh';
  } catch {
    return null;
  }
}
const powershell = pwsh();

/**
 * The device agent contract (docs/agent.md, agents/windows/patchstate-agent.ps1). Each fixture is one recorded run:
 * the facts Windows gave, the state the last run saved, and the requests the script builds from them. Under pwsh
 * the script itself must build exactly those requests; everywhere, the requests must be what the service accepts
 * with a device-agent key, in order, and a retry of each must replay, not append.
 */
describe('device agent contract: the reference agent requests against the service', () => {
  (powershell ? it.each(fixtures.map((f) => [f.name, f] as const)) : it.skip.each([['(pwsh not installed)', null]]))(
    'the script builds the recorded requests from the recorded facts: %s',
    (_name, fixture) => {
      const output = execFileSync(powershell!, ['-NoProfile', '-NonInteractive', '-File', SCRIPT, '-RequestsFor', fixture!.file], { encoding: 'utf8' });
      expect(JSON.parse(output)).toEqual(fixture!.requests);
    },
  );

  describe('the recorded requests against a running service', () => {
    let stack: TestStack;
    let position = '0';
    const send = async (request: AgentRequest) => {
      const result = await http(stack.baseUrl, request.method, request.path, request.body, {
        authorization: `Bearer ${stack.keys['device-agent']}`,
        'idempotency-key': request.idempotencyKey,
      });
      position = result.headers.get('x-position') ?? position;
      return result;
    };
    const device = async (id: string): Promise<any> => (await http(stack.baseUrl, 'GET', `/v1/devices/${id}?minPosition=${position}`)).body;

    beforeAll(async () => {
      stack = await startTestStack();
      const imported = await http(stack.baseUrl, 'POST', '/v1/catalog/imports', { format: 'json', content: releasesText() });
      expect(imported.status).toBe(201);
    });

    afterAll(async () => {
      await stack?.close();
    });

    it('uses only the documented routes and idempotency keys of the allowed characters', () => {
      const routes = /^\/v1\/devices(\/[\w-]+\/(reboots|profile|check-ins))?$/;
      for (const request of fixtures.flatMap((f) => f.requests)) {
        expect(request).toEqual({ method: 'POST', path: expect.stringMatching(routes), idempotencyKey: expect.stringMatching(/^[A-Za-z0-9._:-]{1,255}$/), body: expect.any(Object) });
      }
    });

    it.each(fixtures.map((f) => [f.name, f] as const))('accepts run %s with the device-agent key, and replays each request when retried', async (_name, fixture) => {
      for (const request of fixture.requests) {
        const first = await send(request);
        expect({ request: request.idempotencyKey, status: first.status, body: first.body }).toMatchObject({ status: 201 });
        // A run that failed after this request sends it again: the same key and body replay the recorded answer.
        const retry = await send(request);
        expect({ status: retry.status, replayed: retry.headers.get('idempotent-replayed'), body: retry.body }).toEqual({ status: 201, replayed: 'true', body: first.body });
      }
      if (fixture.name.startsWith('06-')) {
        // CHPE's restriction is reported but takes effect at the next restart: until then the device cannot hotpatch.
        expect((await device(fixture.facts.deviceId)).servicing.reasons).toContain('CHPE_ENABLED');
      }
    });

    it('leaves each device where its recorded runs put it', async () => {
      const [x64, arm64, pro] = ['01-', '05-', '08-'].map((prefix) => fixtures.find((f) => f.name.startsWith(prefix))!.facts.deviceId);
      expect(await device(x64)).toMatchObject({
        hostname: 'FIN-LT-0042',
        memory: { build: '26100.9445', release: 'KB5124008' },
        disk: { build: '26100.9445' },
        pendingRestart: null,
      });
      expect(await device(arm64)).toMatchObject({ profile: { architecture: 'arm64', chpeDisabled: true }, servicing: { path: 'hotpatch' } });
      expect(await device(pro)).toMatchObject({
        profile: { edition: 'pro', vbs: 'off', hotpatchEnabled: false },
        servicing: { path: 'ineligible' },
      });
      const timeline = (await http(stack.baseUrl, 'GET', `/v1/devices/${x64}/timeline?minPosition=${position}`)).body;
      expect(timeline.items.map((e: any) => [e.type, e.occurredAt, e.actor.role])).toEqual([
        ['DeviceRegistered', '2026-07-20T05:03:00Z', 'device-agent'],
        ['DeviceCheckedIn', '2026-08-13T09:00:00Z', 'device-agent'],
        ['DeviceRebooted', '2026-09-10T05:00:00Z', 'device-agent'],
        ['DeviceCheckedIn', '2026-09-10T05:02:00Z', 'device-agent'],
      ]);
    });
  });
});
