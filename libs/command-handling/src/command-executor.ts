import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  DeviceCommand,
  DeviceEvent,
  DomainError,
  PatchCatalogCommand,
  PatchCatalogEvent,
  PatchState,
  RecordedEvent,
  decideDevice,
  decidePatch,
  deviceStreamId,
  evolveDevice,
  evolvePatch,
  initialDeviceState,
  initialPatchState,
  patchIdOf,
  patchStreamId,
  schemaVersionOf,
  storedMessage,
  toDeviceEvent,
  toPatchCatalogEvent,
} from '@patchstate/domain';
import { AppendResult, IdempotencyKeyTaken, PostgresEventStore, StreamType } from '@patchstate/event-store';
import { CommandOutcome, outcomeOf, storedOutcome, unchangedOutcome } from './command-outcome';
import { ReleaseCatalogCache } from './release-catalog-cache';
import { StreamQueue } from './stream-queue';

export interface ExecutionOptions {
  /** From `If-Match`: the caller insists on this version, so a conflict is theirs to resolve (412). */
  expectedVersion?: number;
  idempotency?: { key: string; requestHash: string };
}

export type AnyCommand = DeviceCommand | PatchCatalogCommand;

export interface CommandResult {
  /** The transport-neutral answer, as stored for idempotent replays. */
  outcome: CommandOutcome;
  /** Null when nothing was appended: an idempotent replay, or an unchanged outcome. */
  append: AppendResult | null;
  replayed: boolean;
}

/**
 * A conflict means another writer committed to the stream between our read and our append, and each writer
 * commits once: with up to MAX_ATTEMPTS writers racing on one stream, every one of them gets through.
 */
const MAX_ATTEMPTS = 20;

/**
 * The one load-decide-append path every command handler runs: load the stream, fold it, decide, append with
 * the expected version; on a version conflict (another writer won the race) load again and re-decide. The
 * event store is the truth; nothing here keeps state between commands but the release catalog's cache.
 */
@Injectable()
export class CommandExecutor {
  private readonly catalog: ReleaseCatalogCache;
  private readonly queue = new StreamQueue();

  constructor(@Inject(PostgresEventStore) private readonly store: PostgresEventStore) {
    this.catalog = new ReleaseCatalogCache(store);
  }

  /** Commands on one stream run one after the other in this process (`StreamQueue`); other streams in parallel. */
  execute(command: AnyCommand, requested: ExecutionOptions = {}): Promise<CommandResult> {
    return this.queue.run(streamOf(command).streamId, () => this.executeNow(command, requested));
  }

  private async executeNow(command: AnyCommand, requested: ExecutionOptions): Promise<CommandResult> {
    const options = scopeIdempotencyKey(requested, command);
    const { idempotency } = options;
    if (idempotency) {
      const earlier = await this.replayIfKnown(idempotency.key, idempotency.requestHash);
      if (earlier) return earlier;
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.attempt(command, options);
      } catch (error) {
        // A concurrent request with the same key may have been stored meanwhile (it is why our append conflicted,
        // or why the re-read stream now refuses the command): its answer is this request's answer.
        if (idempotency && (error instanceof DomainError || error instanceof IdempotencyKeyTaken)) {
          const earlier = await this.replayIfKnown(idempotency.key, idempotency.requestHash);
          if (earlier) return earlier;
        }
        const conflict = error instanceof DomainError && error.code === 'VERSION_CONFLICT';
        if (!conflict || options.expectedVersion !== undefined || attempt >= MAX_ATTEMPTS) throw error;
        // A little jitter spreads the losers of a race apart, so fewer of them collide again.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(5 * attempt, 50)));
      }
    }
  }

  /** What the command would append now, without appending: a catalog import's dry run. */
  async decideOnly(command: AnyCommand): Promise<(DeviceEvent | PatchCatalogEvent)[]> {
    return (await this.decide(command)).events;
  }

  private async attempt(command: AnyCommand, options: ExecutionOptions): Promise<CommandResult> {
    const { idempotency } = options;
    const { streamId, streamType, version, events } = await this.decide(command);
    if (options.expectedVersion !== undefined && options.expectedVersion !== version) {
      throw new DomainError('VERSION_CONFLICT', `${streamId} is at version ${version}, not ${options.expectedVersion}`, {
        streamId,
        expectedVersion: options.expectedVersion,
        actualVersion: version,
      });
    }
    // A command that changes nothing (re-importing a known release) appends nothing and says so.
    if (events.length === 0) return { outcome: unchangedOutcome(streamId, version), append: null, replayed: false };
    const { result, outcome } = await this.store.append(
      streamId,
      streamType,
      version,
      events.map((event) => ({
        type: event.type,
        data: event.data,
        metadata: eventMetadata(command),
        schemaVersion: schemaVersionOf(event.type),
      })),
      idempotency && { ...idempotency, respond: outcomeOf },
    );
    return { outcome: outcome ?? outcomeOf(result), append: result, replayed: false };
  }

  private async replayIfKnown(scopedKey: string, requestHash: string): Promise<CommandResult | null> {
    const stored = await this.store.findIdempotentOutcome(scopedKey);
    if (!stored) return null;
    if (stored.requestHash !== requestHash) {
      const key = scopedKey.slice(scopedKey.indexOf(KEY_SCOPE_SEPARATOR) + 1);
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${key} was already used for a different request`, {
        key,
      });
    }
    return { outcome: storedOutcome(stored.outcome), append: null, replayed: true };
  }

  private async decide(command: AnyCommand): Promise<{
    streamId: string;
    streamType: StreamType;
    version: number;
    events: (DeviceEvent | PatchCatalogEvent)[];
  }> {
    if (isPatchCommand(command)) {
      const { state, version } = await this.loadPatch(command.data.patchId);
      return { streamId: patchStreamId(command.data.patchId), streamType: 'patch', version, events: decidePatch(command, state) };
    }
    const streamId = deviceStreamId(command.data.deviceId);
    const stream = await this.store.readStream(streamId);
    const state = stream.events.reduce((s, e) => evolveDevice(s, toDeviceEvent(storedMessage(e))), initialDeviceState);
    const patchId = patchIdOf(command);
    const patch = patchId === null ? null : (await this.loadPatch(patchId)).state;
    const catalog = await this.catalog.current();
    return { streamId, streamType: 'device', version: stream.version, events: decideDevice(command, state, patch, catalog) };
  }

  private async loadPatch(patchId: string): Promise<{ state: PatchState; version: number }> {
    const stream = await this.store.readStream(patchStreamId(patchId));
    const state = stream.events.reduce((s, e) => evolvePatch(s, toPatchCatalogEvent(storedMessage(e))), initialPatchState);
    return { state, version: stream.version };
  }
}

function isPatchCommand(command: AnyCommand): command is PatchCatalogCommand {
  return command.type === 'PublishPatch' || command.type === 'ImportRelease' || command.type === 'RevokePatch';
}

/** The stream a command appends to. */
function streamOf(command: AnyCommand): { streamId: string } {
  return { streamId: isPatchCommand(command) ? patchStreamId(command.data.patchId) : deviceStreamId(command.data.deviceId) };
}

// Neither actor ids nor client keys may contain a slash, so the scoped key splits back unambiguously.
const KEY_SCOPE_SEPARATOR = '/';

/**
 * Idempotency keys belong to the caller that sent them: stored under the actor's id, so another caller
 * reusing the same key can neither read the first caller's answer nor be blocked by it.
 */
function scopeIdempotencyKey(options: ExecutionOptions, command: AnyCommand): ExecutionOptions {
  if (!options.idempotency) return options;
  const key = `${command.metadata.actor.id}${KEY_SCOPE_SEPARATOR}${options.idempotency.key}`;
  return { ...options, idempotency: { ...options.idempotency, key } };
}

function eventMetadata(command: AnyCommand): Omit<RecordedEvent['metadata'], 'schemaVersion'> {
  const { metadata } = command;
  return {
    eventId: randomUUID(),
    occurredAt: metadata.occurredAt,
    recordedAt: metadata.recordedAt,
    actor: metadata.actor,
    correlationId: metadata.correlationId,
    causationId: metadata.causationId ?? metadata.commandId,
  };
}
