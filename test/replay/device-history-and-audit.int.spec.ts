import { loadConfig } from '@patchstate/config';
import { DeviceQueries } from '@patchstate/read-models';
import { auditVerifyCommand } from '../../apps/replay/src/commands/audit-verify.command';
import { DeviceStep, deviceHistoryCommand } from '../../apps/replay/src/commands/device-history.command';
import { runReplayCommand } from '../../apps/replay/src/run-replay-command';
import { CommandRunner, TestDatabase, openTestDatabase } from '../projector/projector-fixture';
import { T, scriptedFleetCommands } from '../projector/scripted-fleet';
import { replayContext } from './replay-fixture';

/*
 * `device` steps through one device's history with the domain's own fold; what it shows after each event
 * must be what the point-in-time query answers for that moment. `audit-verify` is the hash-chain check.
 */
describe('replay: device history and audit verification', () => {
  let database: TestDatabase;
  const config = () => loadConfig({ ...process.env, DATABASE_URL: database.url });
  const context = () => replayContext(database.db, null, config());

  beforeAll(async () => {
    database = await openTestDatabase();
    await new CommandRunner(database.db).runAll(scriptedFleetCommands());
  });

  afterAll(async () => {
    await database?.close();
  });

  it('prints every event of a device with both planes after it, as the point-in-time query has them', async () => {
    const run = context();
    const outcome = await deviceHistoryCommand(run, { deviceId: 'ws-e', collectSteps: true });

    expect(outcome.exitCode).toBe(0);
    const steps = outcome.summary.steps as DeviceStep[];
    expect(steps.map((s) => s.type)).toEqual(['DeviceRegistered', 'HotpatchApplied', 'UpdateStaged', 'DeviceRebooted', 'HotpatchApplied']);
    const queries = new DeviceQueries(database.db);
    for (const [index, step] of steps.entries()) {
      // Several events recorded at the same instant are one moment for the point-in-time query.
      if (steps[index + 1]?.recordedAt === step.recordedAt) continue;
      const { version, position, updatedAt, ...asOf } = (await queries.findDeviceAsOf('ws-e', step.recordedAt))!;
      expect({ version, position, updatedAt }).toEqual({ version: step.version, position: step.position, updatedAt: step.recordedAt });
      expect(step.device).toEqual(asOf);
    }
    // After the reboot into the April baseline, May's hotpatch is in memory only.
    expect(steps[4].device).toMatchObject({
      memory: { build: '26100.4052', baselineBuild: '26100.3775', hotpatches: ['KB5058497'] },
      disk: { build: '26100.3775', hotpatches: [] },
      pendingCommit: ['KB5058497'],
    });
    expect(outcome.summary.final).toEqual(await new DeviceQueries(database.db).findDeviceAsOf('ws-e', '2030-01-01T00:00:00Z'));
    const text = run.output.text;
    expect(text).toMatch(/^v4 {2}#\d+ {2}2025-04-10T07:00:00(\.000)?Z {2}DeviceRebooted {2}by /m);
    expect(text).toContain('    memory 26100.4052');
    expect(text).toContain('    disk   26100.3775');
    expect(text).toContain('pending commit KB5052093');
  });

  it('--until T stops at the events recorded by then and ends with the point-in-time answer for T', async () => {
    const until = T.rebootE;
    const outcome = await deviceHistoryCommand(context(), { deviceId: 'ws-e', until: new Date(until), collectSteps: true });

    expect(outcome.exitCode).toBe(0);
    expect((outcome.summary.steps as DeviceStep[]).map((s) => s.version)).toEqual([1, 2, 3, 4]);
    expect(outcome.summary.final).toEqual(await new DeviceQueries(database.db).findDeviceAsOf('ws-e', until));
  });

  it('--to-version N stops after the Nth event', async () => {
    const outcome = await deviceHistoryCommand(context(), { deviceId: 'ws-a', toVersion: 2, collectSteps: true });

    expect((outcome.summary.steps as DeviceStep[]).map((s) => s.type)).toEqual(['DeviceRegistered', 'HotpatchApplied']);
    expect(outcome.summary.final).toMatchObject({ version: 2, pendingCommit: ['KB5052093'], memory: { hotpatches: ['KB5052093'] } });
  });

  it('--json keeps every step in the summary; an unknown device exits with 1', async () => {
    const json = await runReplayCommand(context(), { name: 'device', deviceId: 'ws-j' }, { json: true });
    expect((json.summary.steps as DeviceStep[]).map((s) => s.type)).toEqual(['DeviceRegistered', 'HotpatchApplied', 'DeviceRetired', 'HotpatchRejected']);

    const run = context();
    const missing = await deviceHistoryCommand(run, { deviceId: 'nobody' });
    expect(missing.exitCode).toBe(1);
    expect(run.output.text).toContain('device nobody has no events');
  });

  it('audit-verify passes on an intact log and names the first broken link after an edit', async () => {
    const intact = context();
    expect((await auditVerifyCommand(intact, {})).exitCode).toBe(0);
    const [{ streams, events }]: { streams: string; events: string }[] = await database.db.query(
      'SELECT count(DISTINCT stream_id) AS streams, count(*) AS events FROM events',
    );
    expect(intact.output.text).toContain(`hash chains intact (all streams): ${streams} stream(s), ${events} event(s) checked`);

    // Only a database superuser can do this: the append-only trigger refuses edits.
    await database.db.query('ALTER TABLE events DISABLE TRIGGER events_append_only');
    await database.db.query(
      `UPDATE events SET data = jsonb_set(data, '{hostname}', '"evil.example"') WHERE stream_id = 'device-ws-c' AND version = 1`,
    );
    await database.db.query('ALTER TABLE events ENABLE TRIGGER events_append_only');

    const broken = context();
    const outcome = await auditVerifyCommand(broken, {});
    expect(outcome.exitCode).toBe(1);
    expect(outcome.summary).toMatchObject({ ok: false, firstBroken: { streamId: 'device-ws-c', version: 1 } });
    expect(broken.output.text).toContain('BROKEN hash chain: device-ws-c at version 1: content does not match its hash');

    expect((await auditVerifyCommand(context(), { deviceId: 'ws-a' })).exitCode).toBe(0);
    expect((await auditVerifyCommand(context(), { deviceId: 'ws-c' })).exitCode).toBe(1);
    const unknown = context();
    expect((await auditVerifyCommand(unknown, { deviceId: 'nobody' })).exitCode).toBe(1);
    expect(unknown.output.text).toContain('device nobody has no events');
  });
});
