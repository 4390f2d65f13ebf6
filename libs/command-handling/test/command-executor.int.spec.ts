import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainError, PatchDefinition, deviceStreamId } from '@patchstate/domain';
import { AnyCommand, CommandExecutor, CommandResult, ExecutionOptions } from '@patchstate/command-handling';
import { AppendResult, EventToAppend, IdempotencyRecord, PostgresEventStore, StoredOutcome, StreamType, openDatabase } from '@patchstate/event-store';
import {
  FEBRUARY_2025_HOTPATCH,
  JANUARY_2025_BASELINE,
  MARCH_2025_HOTPATCH,
  aDeviceProfile,
  aHotpatch,
  applyHotpatch,
  commandMetadata,
  publishPatch,
  registerDevice,
  reportDeviceProfile,
} from '../../../test/builders';
import { createTestDatabase } from '../../../test/support/test-database';

/** The store, counting appends (and optionally letting a rival writer in first), without mocking Postgres. */
class ObservedEventStore extends PostgresEventStore {
  appendCalls = 0;
  /** When set, the next append is preceded by this competing append on the same stream. */
  rivalBeforeNextAppend: EventToAppend | null = null;

  override async append<O extends StoredOutcome = StoredOutcome>(
    streamId: string,
    streamType: StreamType,
    expectedVersion: number,
    events: readonly EventToAppend[],
    idempotency?: IdempotencyRecord<O>,
  ): Promise<{ result: AppendResult; outcome: O | null }> {
    this.appendCalls += 1;
    const rival = this.rivalBeforeNextAppend;
    if (rival) {
      this.rivalBeforeNextAppend = null;
      await super.append(streamId, streamType, expectedVersion, [rival]);
    }
    return super.append(streamId, streamType, expectedVersion, events, idempotency);
  }
}

/** A hotpatch on the January 2025 baseline with its own KB and build: many can be applied to one device. */
function januaryHotpatch(index: number): PatchDefinition {
  return aHotpatch({ patchId: `KB59${String(index).padStart(5, '0')}`, build: `26100.${3000 + index}`, cves: [`CVE-2025-9${String(index).padStart(4, '0')}`] });
}

function unique<T extends { metadata: object }>(command: T): T {
  return { ...command, metadata: commandMetadata({ ...command.metadata, commandId: randomUUID(), correlationId: randomUUID() }) };
}

describe('CommandExecutor on the real event store', () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;
  let store: ObservedEventStore;
  let executor: CommandExecutor;

  const execute = (command: AnyCommand, options: ExecutionOptions = {}): Promise<CommandResult> => executor.execute(unique(command), options);

  async function eventCount(streamId?: string): Promise<number> {
    const rows: { n: string }[] = streamId
      ? await db.query('SELECT count(*) AS n FROM events WHERE stream_id = $1', [streamId])
      : await db.query('SELECT count(*) AS n FROM events');
    return Number(rows[0].n);
  }

  const HOTPATCH_COUNT = 20;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url, { poolSize: 10 });
    store = new ObservedEventStore(db);
    executor = new CommandExecutor(store);
    for (const patch of [JANUARY_2025_BASELINE, FEBRUARY_2025_HOTPATCH, MARCH_2025_HOTPATCH]) await execute(publishPatch(patch));
    for (let i = 1; i <= HOTPATCH_COUNT; i += 1) await execute(publishPatch(januaryHotpatch(i)));
  });

  afterAll(async () => {
    if (db?.isInitialized) await db.destroy();
    await database?.drop();
  });

  it('records events with the command metadata and answers accepted with version and position', async () => {
    const command = unique(registerDevice({}, { deviceId: 'meta-001' }));
    const { outcome, append, replayed } = await executor.execute(command);
    expect(replayed).toBe(false);
    expect(outcome).toMatchObject({ kind: 'accepted', streamId: 'device-meta-001', version: 1, position: append!.position, events: [{ type: 'DeviceRegistered', version: 1 }] });
    const [event] = (await store.readStream('device-meta-001')).events;
    expect(event.metadata).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      occurredAt: command.metadata.occurredAt,
      recordedAt: command.metadata.recordedAt,
      actor: command.metadata.actor,
      correlationId: command.metadata.correlationId,
      causationId: command.metadata.commandId,
      schemaVersion: 1,
    });
  });

  it(`${HOTPATCH_COUNT} concurrent ApplyHotpatch of different hotpatches on one device all succeed, at versions 2..${HOTPATCH_COUNT + 1}`, async () => {
    const deviceId = 'contended-001';
    await execute(registerDevice({}, { deviceId }));
    const outcomes = await Promise.allSettled(
      Array.from({ length: HOTPATCH_COUNT }, (_, i) => execute(applyHotpatch(januaryHotpatch(i + 1), { deviceId }))),
    );
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String((o.reason as Error).message)] : []));
    expect(failures).toEqual([]);
    const results = outcomes.map((o) => (o as PromiseFulfilledResult<CommandResult>).value);
    for (const { outcome } of results) expect(outcome.kind).toBe('accepted');
    const reportedVersions = results.map((r) => r.append!.version).sort((a, b) => a - b);
    expect(reportedVersions).toEqual(Array.from({ length: HOTPATCH_COUNT }, (_, i) => i + 2));

    const stream = await store.readStream(deviceStreamId(deviceId));
    expect(stream.events.map((e) => e.version)).toEqual(Array.from({ length: HOTPATCH_COUNT + 1 }, (_, i) => i + 1));
    const applied = stream.events.filter((e) => e.type === 'HotpatchApplied').map((e) => (e.data as { patchId: string }).patchId);
    expect(applied.sort()).toEqual(Array.from({ length: HOTPATCH_COUNT }, (_, i) => januaryHotpatch(i + 1).patchId).sort());
    // Each response names the event that is stored at the version it reported.
    for (const { append } of results) {
      const stored = stream.events[append!.version - 1];
      expect(stored.metadata.eventId).toBe(append!.events[0].metadata.eventId);
    }
  });

  it('concurrent ApplyHotpatch of the same hotpatch: one HotpatchApplied, the others ALREADY_APPLIED after re-deciding', async () => {
    const deviceId = 'same-patch-001';
    await execute(registerDevice({}, { deviceId }));
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => execute(applyHotpatch(FEBRUARY_2025_HOTPATCH, { deviceId }))));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'ALREADY_APPLIED' });
    }
    expect(await eventCount(deviceStreamId(deviceId))).toBe(2);
  });

  it('an explicit expected version that does not match is VERSION_CONFLICT, without retry and without appending', async () => {
    const deviceId = 'if-match-001';
    await execute(registerDevice({}, { deviceId }));
    await execute(applyHotpatch(FEBRUARY_2025_HOTPATCH, { deviceId }));
    const before = { calls: store.appendCalls, events: await eventCount() };
    const attempt = execute(applyHotpatch(MARCH_2025_HOTPATCH, { deviceId }), { expectedVersion: 1 });
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      details: { streamId: 'device-if-match-001', expectedVersion: 1, actualVersion: 2 },
    });
    expect(store.appendCalls).toBe(before.calls);
    expect(await eventCount()).toBe(before.events);

    // The matching version is accepted.
    const accepted = await execute(applyHotpatch(MARCH_2025_HOTPATCH, { deviceId }), { expectedVersion: 2 });
    expect(accepted.append!.version).toBe(3);
  });

  it('a rival writer between read and append: retried and re-decided without If-Match, refused (once) with it', async () => {
    const deviceId = 'rival-001';
    await execute(registerDevice({}, { deviceId }));
    const rival = (): EventToAppend => ({
      type: 'DeviceProfileReported',
      data: { deviceId, changes: { hotpatchEnabled: true }, profile: aDeviceProfile(), reportedAt: '2025-02-12T09:30:00Z' },
      metadata: { eventId: randomUUID(), occurredAt: '2025-02-12T09:30:00Z', recordedAt: '2025-02-12T09:30:00Z', actor: { id: 'rival', role: 'test' }, correlationId: 'rival', causationId: null },
    });

    store.rivalBeforeNextAppend = rival();
    let calls = store.appendCalls;
    await expect(execute(applyHotpatch(FEBRUARY_2025_HOTPATCH, { deviceId }), { expectedVersion: 1 })).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      details: { expectedVersion: 1 },
    });
    expect(store.appendCalls - calls).toBe(1);
    expect((await store.readStream(deviceStreamId(deviceId))).events.map((e) => e.type)).toEqual(['DeviceRegistered', 'DeviceProfileReported']);

    store.rivalBeforeNextAppend = rival();
    calls = store.appendCalls;
    const retried = await execute(applyHotpatch(FEBRUARY_2025_HOTPATCH, { deviceId }));
    expect(store.appendCalls - calls).toBe(2);
    expect(retried.append!.version).toBe(4);
    expect((await store.readStream(deviceStreamId(deviceId))).events.map((e) => e.type)).toEqual([
      'DeviceRegistered',
      'DeviceProfileReported',
      'DeviceProfileReported',
      'HotpatchApplied',
    ]);
  });

  describe('idempotency', () => {
    it('same key and same request: the stored response, nothing appended', async () => {
      const key = `idem-${randomUUID()}`;
      const command = registerDevice({}, { deviceId: 'idem-001' });
      const first = await execute(command, { idempotency: { key, requestHash: 'h1' } });
      const count = await eventCount();
      const calls = store.appendCalls;
      const replay = await execute(command, { idempotency: { key, requestHash: 'h1' } });
      expect(replay).toEqual({ outcome: first.outcome, append: null, replayed: true });
      expect(await eventCount()).toBe(count);
      expect(store.appendCalls).toBe(calls);
      // Even though the command, re-decided now, would be refused (DEVICE_EXISTS).
      await expect(execute(command)).rejects.toMatchObject({ code: 'DEVICE_EXISTS' });
    });

    it('a replay gives back the outcome with its keys in the order first answered, so a transport sends the same bytes', async () => {
      const key = `idem-${randomUUID()}`;
      // The profile's keys are not in jsonb's order (shorter keys first), so a jsonb column would reorder them.
      const command = registerDevice({}, { deviceId: 'idem-bytes-001' });
      const first = await execute(command, { idempotency: { key, requestHash: 'h1' } });
      const replay = await execute(command, { idempotency: { key, requestHash: 'h1' } });
      expect(replay.replayed).toBe(true);
      expect(JSON.stringify(replay.outcome)).toBe(JSON.stringify(first.outcome));
    });

    it('a rejected outcome is stored and replayed too, with the HotpatchRejected position', async () => {
      const deviceId = 'idem-rejected-001';
      await execute(registerDevice({ vbs: 'off' }, { deviceId }));
      const key = `idem-${randomUUID()}`;
      const first = await execute(applyHotpatch(FEBRUARY_2025_HOTPATCH, { deviceId }), { idempotency: { key, requestHash: 'h' } });
      expect(first.outcome).toEqual({
        kind: 'rejected',
        streamId: deviceStreamId(deviceId),
        version: 2,
        position: first.append!.position,
        eventId: first.append!.events[0].metadata.eventId,
        patchId: FEBRUARY_2025_HOTPATCH.patchId,
        reasons: ['VBS_NOT_RUNNING'],
      });
      const count = await eventCount(deviceStreamId(deviceId));
      const replay = await execute(applyHotpatch(FEBRUARY_2025_HOTPATCH, { deviceId }), { idempotency: { key, requestHash: 'h' } });
      expect(replay.outcome).toEqual(first.outcome);
      expect(await eventCount(deviceStreamId(deviceId))).toBe(count);
    });

    it('same key with a different request is IDEMPOTENCY_KEY_REUSED and appends nothing', async () => {
      const key = `idem-${randomUUID()}`;
      await execute(registerDevice({}, { deviceId: 'idem-002' }), { idempotency: { key, requestHash: 'h1' } });
      const count = await eventCount();
      await expect(execute(registerDevice({}, { deviceId: 'idem-003' }), { idempotency: { key, requestHash: 'h2' } })).rejects.toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        details: { key },
      });
      expect(await eventCount()).toBe(count);
      expect(await eventCount('device-idem-003')).toBe(0);
    });

    it('a refused command stores no response: the same key can be used again once the cause is fixed', async () => {
      const key = `idem-${randomUUID()}`;
      await expect(execute(applyHotpatch(FEBRUARY_2025_HOTPATCH, { deviceId: 'idem-later' }), { idempotency: { key, requestHash: 'h' } })).rejects.toMatchObject({
        code: 'DEVICE_NOT_FOUND',
      });
      expect(await store.findIdempotentOutcome(key)).toBeNull();
      await execute(registerDevice({}, { deviceId: 'idem-later' }));
      const accepted = await execute(applyHotpatch(FEBRUARY_2025_HOTPATCH, { deviceId: 'idem-later' }), { idempotency: { key, requestHash: 'h' } });
      expect(accepted.outcome.kind).toBe('accepted');
    });

    it('concurrent RegisterDevice with one key: one event, every caller gets the same accepted outcome', async () => {
      const key = `idem-${randomUUID()}`;
      const command = registerDevice({}, { deviceId: 'idem-concurrent-001' });
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => execute(command, { idempotency: { key, requestHash: 'same' } })));
      const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as DomainError).code ?? String(o.reason)] : []));
      expect(failures).toEqual([]);
      const responses = outcomes.map((o) => (o as PromiseFulfilledResult<CommandResult>).value.outcome);
      for (const response of responses) expect(response).toEqual(responses[0]);
      expect(responses[0].kind).toBe('accepted');
      expect(await eventCount('device-idem-concurrent-001')).toBe(1);
    });

    it('concurrent ApplyHotpatch with one key: one HotpatchApplied, every caller gets the same accepted outcome', async () => {
      const deviceId = 'idem-concurrent-002';
      await execute(registerDevice({}, { deviceId }));
      const key = `idem-${randomUUID()}`;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, () => execute(applyHotpatch(FEBRUARY_2025_HOTPATCH, { deviceId }), { idempotency: { key, requestHash: 'same' } })),
      );
      const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as DomainError).code ?? String(o.reason)] : []));
      expect(failures).toEqual([]);
      const responses = outcomes.map((o) => (o as PromiseFulfilledResult<CommandResult>).value.outcome);
      for (const response of responses) expect(response).toEqual(responses[0]);
      expect(await eventCount(deviceStreamId(deviceId))).toBe(2);
    });

    it('concurrent requests with one key but different bodies: one accepted, the others IDEMPOTENCY_KEY_REUSED', async () => {
      const deviceId = 'idem-concurrent-003';
      await execute(registerDevice({}, { deviceId }));
      const key = `idem-${randomUUID()}`;
      const outcomes = await Promise.allSettled([
        execute(reportDeviceProfile({ vbs: 'off' }, { deviceId }), { idempotency: { key, requestHash: 'vbs-off' } }),
        execute(reportDeviceProfile({ hotpatchEnabled: false }, { deviceId }), { idempotency: { key, requestHash: 'hotpatch-off' } }),
        execute(reportDeviceProfile({ edition: 'education' }, { deviceId }), { idempotency: { key, requestHash: 'education' } }),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
      }
      expect(await eventCount(deviceStreamId(deviceId))).toBe(2);
    });
  });
});
