import { Kafka } from 'kafkajs';
import { EventEnvelope } from '@patchstate/messaging';
import {
  CveExposureQueries,
  DeviceQueries,
  FleetSummaryQueries,
  ProjectionEngine,
  RolloutQueries,
  allProjections,
} from '@patchstate/read-models';
import {
  APRIL_2025_BASELINE_BUILD,
  APRIL_2025_CVES,
  FEBRUARY_2025_CVES,
  JANUARY_2025_BASELINE_BUILD,
  applyHotpatch,
  commitOnReboot,
  registerDevice,
  revertHotpatch,
  buildOf,
} from '../builders';
import { KafkaProjector } from '../../apps/projector/src/kafka-projector';
import { uniqueName } from '../support/test-database';
import {
  CommandRunner,
  TestDatabase,
  asIncomingMessages,
  createTestTopic,
  envelopeMessage,
  kafkaForTests,
  newProjector,
  openTestDatabase,
  publish,
  readModelSnapshot,
  storedCheckpoints,
  storedEnvelopes,
  topicEndOffsets,
  waitUntilProjected,
  commitKafkaOffsets,
} from './projector-fixture';
import { APR, FEB, FLEET_DEVICES, MAR, MAY, OOB, T, scriptedFleetCommands } from './scripted-fleet';

const iso = (time: string) => new Date(time).toISOString();

describe('projections from a scripted fleet history, through the broker into Postgres', () => {
  let database: TestDatabase;
  let kafka: Kafka;
  let topic: { topic: string; remove(): Promise<void> };
  let groupId: string;
  let projector: KafkaProjector | null = null;
  let envelopes: EventEnvelope[];

  beforeAll(async () => {
    database = await openTestDatabase();
    kafka = kafkaForTests();
    topic = await createTestTopic(kafka, 3);
    groupId = uniqueName('projections-int');
    await new CommandRunner(database.db).runAll(scriptedFleetCommands());
    envelopes = await storedEnvelopes(database.db);
    await publish(kafka, topic.topic, envelopes.map(envelopeMessage));
    projector = newProjector(kafka, database.db, { topic: topic.topic, groupId });
    await projector.start();
    await waitUntilProjected(kafka, database.db, groupId, topic.topic);
  });

  afterAll(async () => {
    await projector?.stop();
    await topic?.remove();
    await database?.close();
  });

  describe('device_state', () => {
    it('shows both planes, what waits for a commit and eligibility for the newest hotpatch offered', async () => {
      const devices = new DeviceQueries(database.db);
      expect(await devices.findDevice('ws-a')).toMatchObject({
        deviceId: 'ws-a',
        hostname: 'ws-a.corp.contoso.example',
        memory: { build: buildOf(MAR), baselineBuild: JANUARY_2025_BASELINE_BUILD, hotpatches: [FEB.patchId, MAR.patchId] },
        disk: { build: buildOf(FEB), baselineBuild: JANUARY_2025_BASELINE_BUILD, hotpatches: [FEB.patchId] },
        pendingCommit: [MAR.patchId],
        pendingRestart: null,
        eligibility: { eligible: true, reasons: [], patchId: MAR.patchId },
        retired: false,
        version: 4,
        updatedAt: iso(T.marAppliedA),
      });
      expect(await devices.findDevice('ws-b')).toMatchObject({
        memory: { build: buildOf(MAR), hotpatches: [FEB.patchId, MAR.patchId] },
        disk: { build: buildOf(MAR), hotpatches: [FEB.patchId, MAR.patchId] },
        pendingCommit: [],
        pendingRestart: null,
      });
    });

    it('shows a staged baseline as pending restart, disk ahead of memory, and the baseline mismatch it causes', async () => {
      const devices = new DeviceQueries(database.db);
      expect(await devices.findDevice('ws-f')).toMatchObject({
        memory: { build: buildOf(FEB), hotpatches: [FEB.patchId] },
        disk: { build: JANUARY_2025_BASELINE_BUILD, hotpatches: [] },
        pendingCommit: [FEB.patchId],
        pendingRestart: { patchId: APR.patchId, build: buildOf(APR), stagedAt: T.aprStagedF },
        eligibility: { eligible: false, reasons: ['BASELINE_MISMATCH'], patchId: MAR.patchId },
      });
    });

    it('moves a device onto the activated baseline at the reboot and offers that baseline\'s newest unrevoked hotpatch', async () => {
      const devices = new DeviceQueries(database.db);
      expect(await devices.findDevice('ws-e')).toMatchObject({
        memory: { build: buildOf(MAY), baselineBuild: APRIL_2025_BASELINE_BUILD, hotpatches: [MAY.patchId] },
        disk: { build: buildOf(APR), baselineBuild: APRIL_2025_BASELINE_BUILD, hotpatches: [] },
        profile: { build: buildOf(APR) },
        pendingCommit: [MAY.patchId],
        pendingRestart: null,
        eligibility: { eligible: true, reasons: [], patchId: MAY.patchId },
      });
    });

    it('judges ineligible devices with every reason, and keeps refused, failed, reverted and retired devices apart', async () => {
      const devices = new DeviceQueries(database.db);
      expect(await devices.findDevice('ws-c')).toMatchObject({ eligibility: { eligible: false, reasons: ['UNSUPPORTED_EDITION'] } });
      expect(await devices.findDevice('ws-d')).toMatchObject({ eligibility: { eligible: false, reasons: ['VBS_NOT_RUNNING'] } });
      // Uninstalled while only in memory: on Windows it keeps running until the next reboot, which ws-g has not had.
      expect(await devices.findDevice('ws-g')).toMatchObject({
        memory: { hotpatches: [FEB.patchId] },
        disk: { hotpatches: [] },
        pendingCommit: [],
        pendingRemoval: [FEB.patchId],
      });
      expect(await devices.findDevice('ws-h')).toMatchObject({ memory: { hotpatches: [] }, eligibility: { eligible: true } });
      expect(await devices.findDevice('ws-i')).toMatchObject({
        memory: { build: JANUARY_2025_BASELINE_BUILD, hotpatches: [] },
        disk: { build: JANUARY_2025_BASELINE_BUILD, hotpatches: [] },
        version: 5,
      });
      expect(await devices.findDevice('ws-j')).toMatchObject({
        retired: true,
        version: 4,
        eligibility: { eligible: false, reasons: expect.arrayContaining(['DEVICE_RETIRED']) },
      });
      expect(await devices.findDevice('ws-unknown')).toBeNull();
    });

    it('lists devices by state, paged by a stable cursor', async () => {
      const devices = new DeviceQueries(database.db);
      const ids = async (state: Parameters<DeviceQueries['listDevices']>[0]) =>
        (await devices.listDevices(state, 100)).items.map((d) => d.deviceId);
      expect(await ids('pending-commit')).toEqual(['ws-a', 'ws-e', 'ws-f']);
      expect(await ids('pending-restart')).toEqual(['ws-f']);
      expect(await ids('ineligible')).toEqual(['ws-c', 'ws-d']);
      expect(await ids('hotpatched')).toEqual(['ws-a', 'ws-b', 'ws-e', 'ws-f', 'ws-g']);
      // Nobody: the April baseline and a hotpatch on it shipped, so January's devices missed it (LCU path), and
      // ws-e, on April, still waits for a reboot.
      expect(await ids('up-to-date')).toEqual([]);
      expect(await ids('retired')).toEqual(['ws-j']);

      const first = await devices.listDevices('hotpatched', 3);
      expect(first.items.map((d) => d.deviceId)).toEqual(['ws-a', 'ws-b', 'ws-e']);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await devices.listDevices('hotpatched', 3, first.nextCursor!);
      expect(second).toMatchObject({ items: [{ deviceId: 'ws-f' }, { deviceId: 'ws-g' }], nextCursor: null });
    });
  });

  describe('patch_catalog', () => {
    it('holds every published patch and offers each baseline its newest unrevoked hotpatch', async () => {
      const rows: { patch_id: string; kind: string; revoked: boolean; version: number }[] = await database.db.query(
        'SELECT patch_id, kind, revoked, version FROM patch_catalog ORDER BY patch_id',
      );
      expect(rows).toEqual([
        { patch_id: 'KB5050009', kind: 'baseline', revoked: false, version: 1 },
        { patch_id: FEB.patchId, kind: 'hotpatch', revoked: false, version: 1 },
        { patch_id: MAR.patchId, kind: 'hotpatch', revoked: false, version: 1 },
        { patch_id: APR.patchId, kind: 'baseline', revoked: false, version: 1 },
        { patch_id: MAY.patchId, kind: 'hotpatch', revoked: false, version: 1 },
        { patch_id: OOB.patchId, kind: 'hotpatch', revoked: true, version: 2 },
      ]);
      const devices = new DeviceQueries(database.db);
      // ws-b runs the January baseline's newest hotpatch, but a hotpatch on April's baseline shipped: it missed that
      // baseline and gets the LCU until the next one. ws-e is offered the April baseline's newest unrevoked hotpatch.
      expect(await devices.findDevice('ws-b')).toMatchObject({
        eligibility: { patchId: MAR.patchId },
        servicing: { path: 'lcu', reasons: ['MISSED_BASELINE'], upToDate: false, nextBaseline: { patchId: null, expectedMonth: '2025-07' } },
      });
      expect(await devices.findDevice('ws-e')).toMatchObject({ eligibility: { patchId: MAY.patchId } });
    });
  });

  describe('patch_rollout', () => {
    it('counts February: in memory, on disk, pending, failed, reverted and refused by reason; retired devices not at all', async () => {
      const rollouts = new RolloutQueries(database.db);
      expect(await rollouts.rollout(FEB.patchId)).toEqual({
        patchId: FEB.patchId,
        appliedInMemory: 4, // ws-a, ws-b, ws-f, ws-g until its reboot (ws-e superseded by April, ws-i reverted and rebooted, ws-j retired)
        committedOnDisk: 2, // ws-a, ws-b
        pendingCommit: 1, // ws-f
        failed: 1, // ws-h
        reverted: 2, // ws-g, ws-i
        rejected: { UNSUPPORTED_EDITION: 1, VBS_NOT_RUNNING: 1 },
        // through the catalog: every active device is a 24H2 x64 Windows 11; ws-e's April baseline carries February
        concerned: 9,
        carriedInMemory: 5, // ws-a, ws-b (March on January), ws-e (May on April), ws-f, ws-g
        carriedOnDisk: 3, // ws-a, ws-b, ws-e
      });
      expect(await rollouts.rollout(MAR.patchId)).toEqual({
        patchId: MAR.patchId,
        appliedInMemory: 2,
        committedOnDisk: 1,
        pendingCommit: 1,
        failed: 0,
        reverted: 0,
        rejected: {},
        concerned: 9,
        carriedInMemory: 3, // ws-a, ws-b, ws-e (April's baseline carries March)
        carriedOnDisk: 2, // ws-b, ws-e
      });
      expect(await rollouts.rollout(MAY.patchId)).toMatchObject({ appliedInMemory: 1, committedOnDisk: 0, pendingCommit: 1 });
    });
  });

  describe('CVE exposure through the catalog', () => {
    it('tells who is protected on disk, only in memory or exposed, and since when in each plane', async () => {
      const exposures = new CveExposureQueries(database.db);
      const cve = FEBRUARY_2025_CVES[0];
      const onDisk = await exposures.exposure(cve, 'protectedOnDisk', 100);
      expect(onDisk.counts).toEqual({ protectedOnDisk: 3, protectedInMemoryOnly: 2, exposed: 4, unknownBuild: 0 });
      expect(onDisk.devices).toEqual({
        items: [
          { deviceId: 'ws-a', protectedInMemorySince: iso(T.febAppliedA), protectedOnDiskSince: iso(T.rebootA) },
          { deviceId: 'ws-b', protectedInMemorySince: iso(T.febAppliedB), protectedOnDiskSince: iso(T.rebootB) },
          // still protected in memory since February: the April baseline carries the same fix
          { deviceId: 'ws-e', protectedInMemorySince: iso(T.febAppliedE), protectedOnDiskSince: iso(T.rebootE) },
        ],
        nextCursor: null,
      });
      const memoryOnly = await exposures.exposure(cve, 'protectedInMemoryOnly', 100);
      // ws-g's uninstalled hotpatch runs until its reboot: still protected in memory.
      expect(memoryOnly.devices.items).toEqual([
        { deviceId: 'ws-f', protectedInMemorySince: iso(T.febAppliedF), protectedOnDiskSince: null },
        { deviceId: 'ws-g', protectedInMemorySince: '2025-02-12T13:00:00.000Z', protectedOnDiskSince: null },
      ]);

      const exposedPage1 = await exposures.exposure(cve, 'exposed', 3);
      expect(exposedPage1.devices.items.map((d) => d.deviceId)).toEqual(['ws-c', 'ws-d', 'ws-h']);
      const exposedPage2 = await exposures.exposure(cve, 'exposed', 3, exposedPage1.devices.nextCursor!);
      expect(exposedPage2.devices).toEqual({
        items: [{ deviceId: 'ws-i', protectedInMemorySince: null, protectedOnDiskSince: null }],
        nextCursor: null,
      });

      const april = await exposures.exposure(APRIL_2025_CVES[0], 'protectedOnDisk', 100);
      expect(april.counts).toEqual({ protectedOnDisk: 1, protectedInMemoryOnly: 0, exposed: 8, unknownBuild: 0 });
      expect(april.devices.items).toEqual([{ deviceId: 'ws-e', protectedInMemorySince: iso(T.rebootE), protectedOnDiskSince: iso(T.rebootE) }]);
    });
  });

  describe('fleet summary', () => {
    it('counts devices by state and by ineligibility reason', async () => {
      expect(await new FleetSummaryQueries(database.db).summary()).toEqual({
        devices: FLEET_DEVICES.length,
        judgedAt: expect.any(String),
        // Judged now: every active device last reported in 2025, so all nine are stale, and all but ws-e (running
        // the newest hotpatch its path offers, May's) are past the deadline of what they are offered.
        byState: { 'pending-commit': 3, 'pending-restart': 1, ineligible: 2, 'up-to-date': 0, hotpatched: 5, retired: 1, overdue: 8, stale: 9 },
        // ws-e runs the April baseline; the January devices missed it; ws-h also failed a hotpatch
        byServicingPath: { hotpatch: 1, lcu: 6, ineligible: 2, 'unknown-build': 0 },
        byOffTrainReason: { MISSED_BASELINE: 6, CUMULATIVE_UPDATE_INSTALLED: 0, OS_UPGRADED_OUTSIDE_BASELINE: 0, HOTPATCH_FAILED: 1 },
        byIneligibilityReason: { UNSUPPORTED_EDITION: 1, VBS_NOT_RUNNING: 1 },
      });
    });
  });

  describe('the same events delivered twice change nothing', () => {
    it('applying every envelope again through the engine skips them all and leaves every table as it was', async () => {
      const before = await readModelSnapshot(database.db);
      const outcome = await new ProjectionEngine(database.db, allProjections()).applyBatch(null, asIncomingMessages(envelopes), null);
      expect(outcome).toEqual({ applied: 0, skippedAsDuplicate: envelopes.length, parked: 0 });
      expect(await readModelSnapshot(database.db)).toEqual(before);
    });

    it('each event delivered twice in a row into empty read models ends where the broker-fed projector ended', async () => {
      const reference = await openTestDatabase({ sameStoreAs: database });
      try {
        const doubled = envelopes.flatMap((envelope) => [envelope, envelope]);
        for (const projection of allProjections()) {
          // one projection at a time, so a duplicate that slipped through names its projection
          const outcome = await new ProjectionEngine(reference.db, [projection]).applyBatch(null, asIncomingMessages(doubled), null);
          expect({ projection: projection.name, parked: outcome.parked }).toEqual({ projection: projection.name, parked: 0 });
          expect(outcome.skippedAsDuplicate).toBeGreaterThanOrEqual(envelopes.length);
        }
        expect(await readModelSnapshot(reference.db)).toEqual(await readModelSnapshot(database.db));
      } finally {
        await reference.close();
      }
    });

    it('duplicates published to the topic are skipped by the running projector', async () => {
      const before = await readModelSnapshot(database.db);
      const appliedBefore = projector!.metrics.eventsApplied;
      const duplicatesBefore = projector!.metrics.eventsSkippedAsDuplicate;
      await publish(kafka, topic.topic, envelopes.map(envelopeMessage));
      await waitUntilProjected(kafka, database.db, groupId, topic.topic);
      expect(projector!.metrics.eventsApplied).toBe(appliedBefore);
      expect(projector!.metrics.eventsSkippedAsDuplicate - duplicatesBefore).toBe(envelopes.length);
      expect(await readModelSnapshot(database.db)).toEqual(before);
    });

    it('a consumer reset to the start of the topic replays everything and changes nothing', async () => {
      const before = await readModelSnapshot(database.db);
      await projector!.stop();
      projector = null;
      // Both places a position could come from go back to the start: Postgres and Kafka's committed offsets.
      await database.db.query('UPDATE projection_checkpoints SET next_offset = 0 WHERE consumer_group = $1', [groupId]);
      const ends = await topicEndOffsets(kafka, topic.topic);
      await commitKafkaOffsets(kafka, groupId, topic.topic, Object.fromEntries([...ends.keys()].map((partition) => [partition, '0'])));
      const total = [...ends.values()].reduce((sum, high) => sum + Number(high), 0);

      projector = newProjector(kafka, database.db, { topic: topic.topic, groupId });
      await projector.start();
      await waitUntilProjected(kafka, database.db, groupId, topic.topic);
      expect(projector.metrics).toMatchObject({ eventsApplied: 0, eventsSkippedAsDuplicate: total, eventsParked: 0 });
      expect(await readModelSnapshot(database.db)).toEqual(before);
      expect(await storedCheckpoints(database.db, groupId, topic.topic)).toEqual(new Map([...ends].filter(([, high]) => high !== '0')));
    });
  });
  describe('a hotpatch uninstalled after it was committed', () => {
    it('keeps protecting the device in both planes until the reboot takes it out of both; then it is exposed, counted once', async () => {
      const runner = new CommandRunner(database.db);
      const exposures = new CveExposureQueries(database.db);
      const devices = new DeviceQueries(database.db);
      const project = async (since: string) => {
        await publish(kafka, topic.topic, (await storedEnvelopes(database.db, since)).map(envelopeMessage));
        await waitUntilProjected(kafka, database.db, groupId, topic.topic);
      };
      const last = envelopes[envelopes.length - 1].position;
      await runner.runAll([
        registerDevice({}, { deviceId: 'ws-k', hostname: 'ws-k.corp.contoso.example', at: '2025-01-20T08:00:00Z' }),
        applyHotpatch(FEB, { deviceId: 'ws-k', at: '2025-02-12T17:00:00Z' }),
        commitOnReboot({ deviceId: 'ws-k', at: '2025-02-13T07:00:00Z', bootId: 'boot-k1' }),
        revertHotpatch(FEB, { deviceId: 'ws-k', at: '2025-02-14T09:00:00Z' }),
      ]);
      await project(last);
      // Windows: an uninstalled hotpatch keeps running until the next reboot.
      expect(await devices.findDevice('ws-k')).toMatchObject({
        memory: { hotpatches: [FEB.patchId] },
        disk: { hotpatches: [FEB.patchId] },
        pendingRemoval: [FEB.patchId],
      });
      const before = await exposures.exposure(FEBRUARY_2025_CVES[0], 'protectedOnDisk', 100);
      // ten active devices now: every one in exactly one group
      expect(before.counts).toEqual({ protectedOnDisk: 4, protectedInMemoryOnly: 2, exposed: 4, unknownBuild: 0 });
      expect(before.devices.items.map((d) => d.deviceId)).toEqual(['ws-a', 'ws-b', 'ws-e', 'ws-k']);

      const afterRevert = (await storedEnvelopes(database.db, last)).at(-1)!.position;
      await runner.runAll([commitOnReboot({ deviceId: 'ws-k', at: '2025-02-15T07:00:00Z', bootId: 'boot-k2' })]);
      await project(afterRevert);
      expect(await devices.findDevice('ws-k')).toMatchObject({ memory: { hotpatches: [] }, disk: { hotpatches: [] }, pendingRemoval: [] });
      const after = await exposures.exposure(FEBRUARY_2025_CVES[0], 'exposed', 100);
      expect(after.counts).toEqual({ protectedOnDisk: 3, protectedInMemoryOnly: 2, exposed: 5, unknownBuild: 0 });
      expect(after.devices.items).toContainEqual({ deviceId: 'ws-k', protectedInMemorySince: null, protectedOnDiskSince: null });
    });
  });
});
