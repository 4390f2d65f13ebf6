import { storedMessage, toDeviceEvent } from '@patchstate/domain';
import { AppendResult } from '@patchstate/event-store';

/** An appended event as a command's answer names it. */
export interface OutcomeEvent {
  eventId: string;
  type: string;
  version: number;
  position: string;
  data: unknown;
}

/** The command was decided and its events appended. */
export interface AcceptedOutcome {
  kind: 'accepted';
  streamId: string;
  version: number;
  /** The global position of the last appended event. */
  position: string;
  events: OutcomeEvent[];
}

/**
 * The command was refused yet the refusal is recorded (HotpatchRejected: auditors need who tried what), so it
 * has a stream version and a position like an accepted one.
 */
export interface RejectedOutcome {
  kind: 'rejected';
  streamId: string;
  version: number;
  position: string;
  /** The HotpatchRejected event. */
  eventId: string;
  patchId: string;
  reasons: string[];
}

/** The command changed nothing (re-importing a known release): nothing appended, the stream as it is. */
export interface UnchangedOutcome {
  kind: 'unchanged';
  streamId: string;
  version: number;
}

/** The transport-neutral answer to a command: each transport (REST, gRPC) maps it to its own statuses. */
export type CommandOutcome = AcceptedOutcome | RejectedOutcome | UnchangedOutcome;

export const OUTCOME_KINDS: readonly CommandOutcome['kind'][] = ['accepted', 'rejected', 'unchanged'];

/** What an append means to the caller: a recorded rejection, or accepted events. */
export function outcomeOf(result: AppendResult): AcceptedOutcome | RejectedOutcome {
  const last = result.events[result.events.length - 1];
  // Read through the upcaster like any stored event (an idempotent replay answers from what was stored).
  const rejected = last.type === 'HotpatchRejected' ? toDeviceEvent(storedMessage(last)) : null;
  if (rejected?.type === 'HotpatchRejected') {
    const { data } = rejected;
    return {
      kind: 'rejected',
      streamId: result.streamId,
      version: result.version,
      position: result.position,
      eventId: last.metadata.eventId,
      patchId: data.patchId,
      reasons: data.reasons,
    };
  }
  return {
    kind: 'accepted',
    streamId: result.streamId,
    version: result.version,
    position: result.position,
    events: result.events.map((event) => ({
      eventId: event.metadata.eventId,
      type: event.type,
      version: event.version,
      position: event.position,
      data: event.data,
    })),
  };
}

export function unchangedOutcome(streamId: string, version: number): UnchangedOutcome {
  return { kind: 'unchanged', streamId, version };
}

/** The global position an outcome names, if it appended anything. */
export function outcomePosition(outcome: CommandOutcome): string | undefined {
  return outcome.kind === 'unchanged' ? undefined : outcome.position;
}

/**
 * An outcome read back from the idempotency table. Only this code writes it (and the migration that converted
 * the HTTP answers stored before), so a wrong kind means a damaged row: refused, never replayed as a guess.
 */
export function storedOutcome(value: unknown): CommandOutcome {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (!OUTCOME_KINDS.includes(kind as CommandOutcome['kind'])) {
    throw new Error(`stored idempotent outcome has unknown kind ${JSON.stringify(kind)}`);
  }
  return value as CommandOutcome;
}
