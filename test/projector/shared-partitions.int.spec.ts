import { AssignerProtocol, Kafka } from 'kafkajs';
import { EventEnvelope } from '@patchstate/messaging';
import { FleetSummaryQueries } from '@patchstate/read-models';
import { applyHotpatch, commitOnReboot, registerDevice } from '../builders';
import { KafkaProjector } from '../../apps/projector/src/kafka-projector';
import { uniqueName } from '../support/test-database';
import {
  CommandRunner,
  TestDatabase,
  createTestTopic,
  envelopeMessage,
  kafkaForTests,
  newProjector,
  openTestDatabase,
  publish,
  readModelSnapshot,
  sleep,
  storedEnvelopes,
  topicEndOffsets,
  waitUntilProjected,
  withAdmin,
} from './projector-fixture';
import { FEB, MAR, scriptedFleetCommands } from './scripted-fleet';

const PARTITIONS = 4;

/** Twenty more devices so that every partition carries several streams. */
function moreDevices(): Parameters<CommandRunner['run']>[0][] {
  return Array.from({ length: 20 }, (_, i) => {
    const deviceId = `lab-${String(i).padStart(3, '0')}`;
    const day = String(10 + (i % 10)).padStart(2, '0');
    return [
      registerDevice({}, { deviceId, hostname: `${deviceId}.lab.contoso.example`, at: `2025-02-${day}T08:00:00Z` }),
      applyHotpatch(FEB, { deviceId, at: `2025-02-${day}T09:00:00Z` }),
      commitOnReboot({ deviceId, at: `2025-02-${day}T20:00:00Z`, bootId: `boot-${deviceId}` }),
      applyHotpatch(MAR, { deviceId, at: `2025-03-${day}T09:00:00Z` }),
    ];
  }).flat();
}

/** The partitions each member of the group holds, once the group is stable with `members` members. */
async function stableAssignment(kafka: Kafka, groupId: string, topic: string, members: number, timeoutMs = 20_000): Promise<number[][]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { groups } = await withAdmin(kafka, (admin) => admin.describeGroups([groupId]));
    const group = groups[0];
    if (group?.state === 'Stable' && group.members.length === members) {
      const assignments = group.members.map((member) => {
        const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        return [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b);
      });
      if (assignments.every((partitions) => partitions.length > 0)) return assignments;
    }
    if (Date.now() > deadline) throw new Error(`group ${groupId} did not settle with ${members} members: ${JSON.stringify(group)}`);
    await sleep(200);
  }
}

describe('two projector processes in one group share the partitions and agree with one projector', () => {
  let shared: TestDatabase;
  let single: TestDatabase;
  let kafka: Kafka;
  let topic: { topic: string; remove(): Promise<void> };
  const sharedGroup = uniqueName('shared-int');
  const singleGroup = uniqueName('single-int');
  let envelopes: EventEnvelope[];
  const running = new Set<KafkaProjector>();
  let pair: KafkaProjector[];

  const start = async (projector: KafkaProjector) => {
    running.add(projector);
    await projector.start();
    return projector;
  };

  beforeAll(async () => {
    shared = await openTestDatabase();
    single = await openTestDatabase({ sameStoreAs: shared });
    kafka = kafkaForTests();
    topic = await createTestTopic(kafka, PARTITIONS);
    await new CommandRunner(shared.db).runAll([...scriptedFleetCommands(), ...moreDevices()]);
    envelopes = await storedEnvelopes(shared.db);
  });

  afterAll(async () => {
    for (const projector of running) await projector.stop().catch(() => undefined);
    await topic?.remove();
    await shared?.close();
    await single?.close();
  });

  it('splits the partitions between two processes, each applying only its own, and ends in the state one projector reaches', async () => {
    pair = [
      newProjector(kafka, shared.db, { topic: topic.topic, groupId: sharedGroup }),
      newProjector(kafka, shared.db, { topic: topic.topic, groupId: sharedGroup }),
    ];
    const [first, second] = pair;
    await Promise.all(pair.map(start));
    const assignments = await stableAssignment(kafka, sharedGroup, topic.topic, 2);
    expect(assignments.flat().sort()).toEqual(Array.from({ length: PARTITIONS }, (_, p) => p));

    const alone = await start(newProjector(kafka, single.db, { topic: topic.topic, groupId: singleGroup }));
    const wave1 = envelopes.slice(0, Math.floor(envelopes.length * 0.6));
    await publish(kafka, topic.topic, wave1.map(envelopeMessage));
    await Promise.all([
      waitUntilProjected(kafka, shared.db, sharedGroup, topic.topic),
      waitUntilProjected(kafka, single.db, singleGroup, topic.topic),
    ]);

    // Each process applied events, only of the partitions it holds, and together each event once.
    expect(first.metrics.eventsApplied).toBeGreaterThan(0);
    expect(second.metrics.eventsApplied).toBeGreaterThan(0);
    expect(first.metrics.eventsApplied + second.metrics.eventsApplied).toBe(wave1.length);
    expect(first.metrics.eventsSkippedAsDuplicate + second.metrics.eventsSkippedAsDuplicate).toBe(0);
    const processed = pair.map((projector) => [...projector.metrics.lag.keys()].sort());
    expect(processed[0].filter((partition) => processed[1].includes(partition))).toEqual([]);
    const withData = [...(await topicEndOffsets(kafka, topic.topic))].filter(([, high]) => high !== '0').map(([p]) => p);
    expect(processed.flat().sort()).toEqual(withData.sort());
    expect(alone.metrics.eventsApplied).toBe(wave1.length);
    expect(await readModelSnapshot(shared.db)).toEqual(await readModelSnapshot(single.db));
  });

  it('hands the partitions of a process that leaves to the one that stays, losing and repeating nothing', async () => {
    const [first, second] = pair;
    const appliedBefore = first.metrics.eventsApplied;
    await second.stop();
    running.delete(second);
    const wave2 = envelopes.slice(Math.floor(envelopes.length * 0.6));
    await publish(kafka, topic.topic, wave2.map(envelopeMessage));
    await Promise.all([
      waitUntilProjected(kafka, shared.db, sharedGroup, topic.topic),
      waitUntilProjected(kafka, single.db, singleGroup, topic.topic),
    ]);
    expect(first.metrics.eventsApplied - appliedBefore).toBe(wave2.length);
    expect(await readModelSnapshot(shared.db)).toEqual(await readModelSnapshot(single.db));
    expect((await new FleetSummaryQueries(shared.db).summary()).devices).toBe(30);
  });
});
