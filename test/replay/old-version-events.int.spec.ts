import { randomUUID } from 'node:crypto';
import { loadConfig } from '@patchstate/config';
import { Actor, PatchDefinition, deviceStreamId, patchStreamId } from '@patchstate/domain';
import { EventToAppend, PostgresEventStore } from '@patchstate/event-store';
import { DeviceQueries, ProjectionEngine, allProjections } from '@patchstate/read-models';
import { parseReplayArguments } from '../../apps/replay/src/cli/replay-arguments';
import { DeviceStep } from '../../apps/replay/src/commands/device-history.command';
import { runReplayCommand } from '../../apps/replay/src/run-replay-command';
import { OPERATOR, applyHotpatch, publishPatch, stageUpdate } from '../builders';
import { CommandRunner, TestDatabase, asIncomingMessages, openTestDatabase, storedEnvelopes } from '../projector/projector-fixture';
import { replayContext } from './replay-fixture';

/*
 * Issue 10's last "Done when": `replay verify` passes after a rebuild over a database that holds old-version
 * catalog events. The log below is what the code before the release catalog wrote (schema version 1 of
 * PatchPublished with one build and `cumulative` for an LCU; UpdateStaged and DeviceRebooted naming the LCU
 * `cumulative`), appended through the event store as that code did. Nothing is projected beforehand: the
 * read models of such a database are rebuilt from the log after the upgrade.
 */

const JANUARY_CVES = ['CVE-2025-21333', 'CVE-2025-21334'];
const FEBRUARY_CVES = ['CVE-2025-21391', 'CVE-2025-21418'];

/** PatchPublished version 1, exactly as the previous PublishPatch wrote it (its data was the command's). */
const V1_BASELINE = {
  patchId: 'KB5050009',
  kind: 'baseline',
  build: '26100.2894',
  baselineBuild: null,
  releasedAt: '2025-01-14T18:00:00Z',
  architectures: ['x64', 'arm64'],
  products: null,
  cves: JANUARY_CVES,
  supersedes: [],
};
const V1_HOTPATCH = {
  ...V1_BASELINE,
  patchId: 'KB5052105',
  kind: 'hotpatch',
  build: '26100.3107',
  baselineBuild: '26100.2894',
  releasedAt: '2025-02-11T18:00:00Z',
  architectures: ['x64'],
  products: ['windows-11', 'windows-server-2025'],
  cves: FEBRUARY_CVES,
};
const V1_CUMULATIVE = { ...V1_BASELINE, patchId: 'KB5051987', kind: 'cumulative', build: '26100.3194', releasedAt: '2025-02-11T18:00:00Z', cves: FEBRUARY_CVES };

const LCU_DEVICE = 'old-lcu-01';
const HOTPATCH_DEVICE = 'old-hp-01';
const agent = (deviceId: string): Actor => ({ id: `agent:${deviceId}`, role: 'device-agent' });

/** An event with the metadata the previous store wrote, at schema version 1. */
function v1(type: string, data: object, at: string, actor: Actor): EventToAppend {
  return {
    type,
    data,
    schemaVersion: 1,
    metadata: { eventId: randomUUID(), occurredAt: at, recordedAt: at, actor, correlationId: randomUUID(), causationId: null },
  };
}

/** The profile as stored then (a literal, not today's builder: the stored shape is what is under test). */
const PROFILE = {
  product: 'windows-11',
  edition: 'enterprise',
  architecture: 'x64',
  build: '26100.2894',
  vbs: 'running',
  chpeDisabled: false,
  hotpatchEnabled: true,
};

/** A device's first two events as the previous code wrote them: registered on the January baseline, February's hotpatch. */
function registeredAndHotpatched(deviceId: string): EventToAppend[] {
  return [
    v1('DeviceRegistered', { deviceId, hostname: `${deviceId}.corp.contoso.example`, profile: PROFILE, registeredAt: '2025-01-20T08:00:00Z' }, '2025-01-20T08:00:00Z', OPERATOR),
    v1(
      'HotpatchApplied',
      { deviceId, patchId: 'KB5052105', build: '26100.3107', baselineBuild: '26100.2894', cves: FEBRUARY_CVES, appliedAt: '2025-02-12T09:00:00Z' },
      '2025-02-12T09:00:00Z',
      agent(deviceId),
    ),
  ];
}

async function writeTheOldLog(store: PostgresEventStore): Promise<void> {
  for (const [definition, at] of [
    [V1_BASELINE, '2025-01-14T18:00:00Z'],
    [V1_HOTPATCH, '2025-02-11T18:00:00Z'],
    [V1_CUMULATIVE, '2025-02-11T18:00:01Z'],
  ] as const) {
    await store.append(patchStreamId(definition.patchId), 'patch', 0, [v1('PatchPublished', definition, at, OPERATOR)]);
  }
  // Took February's hotpatch, then the February LCU ("cumulative") was staged and activated at a reboot.
  const activated = { patchId: 'KB5051987', kind: 'cumulative', build: '26100.3194', cves: FEBRUARY_CVES };
  await store.append(deviceStreamId(LCU_DEVICE), 'device', 0, [
    ...registeredAndHotpatched(LCU_DEVICE),
    v1('UpdateStaged', { deviceId: LCU_DEVICE, ...activated, stagedAt: '2025-02-20T20:00:00Z', replaces: null }, '2025-02-20T20:00:00Z', agent(LCU_DEVICE)),
    v1(
      'DeviceRebooted',
      { deviceId: LCU_DEVICE, bootId: 'boot-1', rebootedAt: '2025-02-21T07:00:00Z', committed: [], activated, superseded: ['KB5052105'], removed: [], build: '26100.3194' },
      '2025-02-21T07:00:00Z',
      agent(LCU_DEVICE),
    ),
  ]);
  // Stayed on the hotpatch train: February's hotpatch committed to disk at a reboot that activated nothing.
  await store.append(deviceStreamId(HOTPATCH_DEVICE), 'device', 0, [
    ...registeredAndHotpatched(HOTPATCH_DEVICE),
    v1(
      'DeviceRebooted',
      { deviceId: HOTPATCH_DEVICE, bootId: 'boot-1', rebootedAt: '2025-02-15T07:00:00Z', committed: ['KB5052105'], activated: null, superseded: [], removed: [], build: '26100.3107' },
      '2025-02-15T07:00:00Z',
      agent(HOTPATCH_DEVICE),
    ),
  ]);
}

/** Releases the new code publishes afterwards, in the version-2 shape (real KBs and builds). */
const MARCH_HOTPATCH: PatchDefinition = {
  patchId: 'KB5053636',
  kind: 'hotpatch',
  releasedAt: '2025-03-11T17:00:00Z',
  products: ['windows-11', 'windows-server-2025'],
  builds: { '24H2': '26100.3403' },
  architectures: ['x64'],
  baselineKb: 'KB5050009',
  baselineBuilds: { '24H2': '26100.2894' },
  cves: ['CVE-2025-24983', 'CVE-2025-24985'],
  supersedes: ['KB5052105'],
  replaces: [],
};
const APRIL_BASELINE: PatchDefinition = {
  ...MARCH_HOTPATCH,
  patchId: 'KB5055523',
  kind: 'baseline',
  releasedAt: '2025-04-08T17:00:00Z',
  builds: { '24H2': '26100.3775' },
  architectures: ['x64', 'arm64'],
  baselineKb: null,
  baselineBuilds: {},
  cves: ['CVE-2025-29824'],
  supersedes: [],
};

describe('replay: a database written by the previous code (version-1 catalog and update events)', () => {
  let database: TestDatabase;
  const context = () => replayContext(database.db, null, loadConfig({ ...process.env, DATABASE_URL: database.url }));
  /** The CLI's own path: argv parsed as `patchstate-replay` parses it, then the command run in-process. */
  const replay = async (...argv: string[]) => {
    const run = context();
    const { command, json } = parseReplayArguments(argv);
    const outcome = await runReplayCommand(run, command, { json });
    return { ...outcome, text: run.output.text };
  };
  const expectVerified = async () => {
    const verified = await replay('verify', '--projection', 'all');
    expect({ exitCode: verified.exitCode, output: verified.text }).toMatchObject({ exitCode: 0 });
    expect(verified.summary).toMatchObject({ ok: true, differences: [] });
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    await writeTheOldLog(new PostgresEventStore(database.db));
  });

  afterAll(async () => {
    await database?.close();
  });

  it('rebuilds every projection from those events, and verify passes; the hash chains hold', async () => {
    const rebuilt = await replay('rebuild', '--projection', 'all');
    expect({ exitCode: rebuilt.exitCode, output: rebuilt.text }).toMatchObject({ exitCode: 0 });
    expect(rebuilt.summary).toMatchObject({ ok: true, outcome: 'swapped', counts: { replayed: 10, parked: 0 } });

    await expectVerified();
    const audit = await replay('audit-verify');
    expect(audit.exitCode).toBe(0);
    expect(audit.text).toContain('hash chains intact (all streams): 5 stream(s), 10 event(s) checked');
  });

  it('holds version-2 definitions in patch_catalog: the `cumulative` one as an LCU, one build per OS version', async () => {
    const rows: { patch_id: string; kind: string; builds: string[]; baseline_build: string | null; definition: PatchDefinition }[] =
      await database.db.query('SELECT patch_id, kind, builds, baseline_build, definition FROM patch_catalog ORDER BY patch_id');
    const lcu = { patchId: 'KB5051987', kind: 'lcu', releasedAt: '2025-02-11T18:00:00Z', products: ['windows-11', 'windows-server-2025'] };
    expect(rows).toEqual([
      {
        patch_id: 'KB5050009',
        kind: 'baseline',
        builds: ['26100.2894'],
        baseline_build: null,
        definition: { ...lcu, patchId: 'KB5050009', kind: 'baseline', releasedAt: '2025-01-14T18:00:00Z', builds: { '24H2': '26100.2894' }, architectures: ['x64', 'arm64'], baselineKb: null, baselineBuilds: {}, cves: JANUARY_CVES, supersedes: [], replaces: [] },
      },
      {
        patch_id: 'KB5051987',
        kind: 'lcu',
        builds: ['26100.3194'],
        baseline_build: null,
        definition: { ...lcu, builds: { '24H2': '26100.3194' }, architectures: ['x64', 'arm64'], baselineKb: null, baselineBuilds: {}, cves: FEBRUARY_CVES, supersedes: [], replaces: [] },
      },
      {
        patch_id: 'KB5052105',
        kind: 'hotpatch',
        builds: ['26100.3107'],
        baseline_build: '26100.2894',
        definition: { ...lcu, patchId: 'KB5052105', kind: 'hotpatch', builds: { '24H2': '26100.3107' }, architectures: ['x64'], baselineKb: null, baselineBuilds: { '24H2': '26100.2894' }, cves: FEBRUARY_CVES, supersedes: [], replaces: [] },
      },
    ]);
  });

  it('shows the device on the cumulative update as an LCU, protected cumulatively, in the read model and in `replay device`', async () => {
    const device = (await new DeviceQueries(database.db).findDevice(LCU_DEVICE))!;
    const cumulative = [...JANUARY_CVES, ...FEBRUARY_CVES].sort();
    const plane = { build: '26100.3194', release: 'KB5051987', hotpatches: [], cves: cumulative };
    expect(device).toMatchObject({ memory: plane, disk: plane, pendingCommit: [], pendingRestart: null });
    expect(device.servicing).toMatchObject({ path: 'lcu', reasons: ['CUMULATIVE_UPDATE_INSTALLED'], release: { patchId: 'KB5051987', kind: 'lcu' } });

    const history = await replay('device', LCU_DEVICE, '--json');
    expect(history.exitCode).toBe(0);
    const steps = history.summary.steps as DeviceStep[];
    expect(steps.map((s) => s.type)).toEqual(['DeviceRegistered', 'HotpatchApplied', 'UpdateStaged', 'DeviceRebooted']);
    expect(steps[2].data).toMatchObject({ patchId: 'KB5051987', kind: 'lcu' });
    expect(steps[3].data).toMatchObject({ activated: { patchId: 'KB5051987', kind: 'lcu' } });
    expect(steps.map((s) => s.schemaVersion)).toEqual([1, 1, 1, 1]);
    expect(history.text).toMatch(/^v3 {2}#\d+ {2}\S+ {2}UpdateStaged {2}by agent:old-lcu-01 \(device-agent\) {2}\(stored at schema version 1, read as 2\)$/m);
    const { updatedAt, ...view } = device;
    const final = history.summary.final as typeof device;
    expect(final).toMatchObject(view);
    expect(Date.parse(final.updatedAt)).toBe(Date.parse(updatedAt));
    expect(history.text).toContain('    memory 26100.3194   KB5051987');
    expect(history.text).toContain('servicing path lcu (CUMULATIVE_UPDATE_INSTALLED)');

    // The device that stayed on the train runs the version-1 hotpatch, its baseline found by build.
    const onTrain = (await new DeviceQueries(database.db).findDevice(HOTPATCH_DEVICE))!;
    expect(onTrain.memory).toMatchObject({ build: '26100.3107', release: 'KB5052105', baselineKb: 'KB5050009', cves: cumulative });
    expect(onTrain.servicing).toMatchObject({ path: 'hotpatch', release: { patchId: 'KB5052105', kind: 'hotpatch' } });
  });

  it('the write side decides over the old events: a hotpatch applies, an update stages; verify still passes', async () => {
    const before = String((await database.db.query('SELECT max(position) AS p FROM events'))[0].p);
    const runner = new CommandRunner(database.db);
    await runner.runAll([publishPatch(MARCH_HOTPATCH, { at: '2025-03-11T17:00:00Z' }), publishPatch(APRIL_BASELINE, { at: '2025-04-08T17:00:00Z' })]);

    const applied = await runner.run(applyHotpatch(MARCH_HOTPATCH, { deviceId: HOTPATCH_DEVICE, at: '2025-03-12T09:00:00Z' }));
    expect(applied.append!.events).toEqual([
      expect.objectContaining({ type: 'HotpatchApplied', version: 4, data: expect.objectContaining({ build: '26100.3403', baselineBuild: '26100.2894' }) }),
    ]);
    const staged = await runner.run(stageUpdate(APRIL_BASELINE, { deviceId: LCU_DEVICE, at: '2025-04-09T09:00:00Z' }));
    expect(staged.append!.events).toEqual([
      expect.objectContaining({ type: 'UpdateStaged', version: 5, data: expect.objectContaining({ kind: 'baseline', build: '26100.3775' }), metadata: expect.objectContaining({ schemaVersion: 2 }) }),
    ]);

    // The live projector applies the new events on top of the rebuilt read models; a rebuild must agree.
    const envelopes = await storedEnvelopes(database.db, before);
    const outcome = await new ProjectionEngine(database.db, allProjections()).applyBatch(null, asIncomingMessages(envelopes), null);
    expect(outcome.parked).toBe(0);
    await expectVerified();
    const queries = new DeviceQueries(database.db);
    expect((await queries.findDevice(HOTPATCH_DEVICE))!.memory).toMatchObject({ build: '26100.3403', release: 'KB5053636', hotpatches: ['KB5052105', 'KB5053636'] });
    expect((await queries.findDevice(LCU_DEVICE))!.pendingRestart).toMatchObject({ patchId: 'KB5055523', build: '26100.3775' });
  });
});
