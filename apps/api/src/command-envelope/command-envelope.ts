import { randomUUID } from 'node:crypto';
import { Actor, CommandMetadata, FieldChecks, ValidationError } from '@patchstate/domain';
import { AnyCommand, BusCommand, ExecutionOptions, busCommandFor } from '@patchstate/command-handling';

/** A command as a transport builds it: the envelope adds ids, the clock and the caller. */
export type Untimed<C extends AnyCommand> = C extends AnyCommand ? Omit<C, 'metadata'> : never;

/**
 * What travels beside a command, whatever the transport: HTTP headers or gRPC metadata. Values are raw
 * (undefined when absent) and validated here, so REST and gRPC accept and refuse exactly the same.
 */
export interface CallerInput {
  /** The authenticated caller: recorded as the actor of every event the command appends. */
  actor: Actor;
  correlationId: string | undefined;
  /** The stream version the caller expects, e.g. `3`, `"3"` or `W/"3"` (an ETag). */
  expectedVersion: string | undefined;
  idempotencyKey: string | undefined;
  /** Identifies the request for idempotent replays: the same key must come with the same fingerprint. */
  requestFingerprint: () => string;
}

/** How a transport names the inputs, so a validation error points at what the caller can fix. */
export interface CallerFieldNames {
  correlationId: string;
  expectedVersion: string;
  idempotencyKey: string;
}

export interface CommandEnvelope {
  /** The command in its own class on the CommandBus, with If-Match and Idempotency-Key. */
  execute: BusCommand;
  metadata: CommandMetadata;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const CORRELATION_ID_RULE = 'must be 1-128 letters, digits or . _ : -';
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,255}$/;
const EXPECTED_VERSION = /^(?:W\/)?"?(\d{1,9})"?$/;

/**
 * Builds the command envelope both transports put on the CommandBus: ids and the clock come from here,
 * never from the domain. Every bad caller input is named at once (VALIDATION_FAILED).
 */
export function commandEnvelope(
  command: Untimed<AnyCommand>,
  caller: CallerInput,
  names: CallerFieldNames,
  occurredAt?: string,
): CommandEnvelope {
  const checks = new FieldChecks({});
  if (caller.correlationId !== undefined && !CORRELATION_ID.test(caller.correlationId)) {
    checks.fail(names.correlationId, CORRELATION_ID_RULE);
  }
  const expected = caller.expectedVersion === undefined ? undefined : EXPECTED_VERSION.exec(caller.expectedVersion.trim());
  if (expected === null) checks.fail(names.expectedVersion, 'must be a stream version such as "3"');
  if (caller.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(caller.idempotencyKey)) {
    checks.fail(names.idempotencyKey, 'must be 1-255 letters, digits or . _ : -');
  }
  checks.throwIfInvalid();

  const recordedAt = new Date().toISOString();
  const metadata: CommandMetadata = {
    commandId: randomUUID(),
    occurredAt: occurredAt ?? recordedAt,
    recordedAt,
    actor: caller.actor,
    correlationId: caller.correlationId ?? randomUUID(),
    causationId: null,
  };
  const options: ExecutionOptions = {};
  if (expected) options.expectedVersion = Number(expected[1]);
  if (caller.idempotencyKey !== undefined) {
    options.idempotency = { key: caller.idempotencyKey, requestHash: caller.requestFingerprint() };
  }
  return { execute: busCommandFor({ ...command, metadata } as AnyCommand, options), metadata };
}

/**
 * The correlation id of a call that is no single command (a catalog import runs one per release): checked as
 * commandEnvelope checks it, generated when absent.
 */
export function correlationIdOf(value: string | undefined, field: string): string {
  if (value !== undefined && !CORRELATION_ID.test(value)) throw new ValidationError([{ field, message: CORRELATION_ID_RULE }]);
  return value ?? randomUUID();
}
