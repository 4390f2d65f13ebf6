import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { principalOf } from '@patchstate/auth';
import { DomainError, ValidationError } from '@patchstate/domain';
import { BusCommand, CommandResult, outcomePosition } from '@patchstate/command-handling';
import { canonicalJson, sha256 } from '@patchstate/event-store';
import { commandEnvelope } from '../command-envelope/command-envelope';
import { ParsedCommand } from '../command-envelope/command-table';
import { CommandReply, grpcReply } from './grpc-outcome';

export type { CommandReply } from './grpc-outcome';

const METADATA_NAMES = { correlationId: 'x-correlation-id', expectedVersion: 'if-match', idempotencyKey: 'idempotency-key' };

/**
 * Turns a gRPC call into the same command envelope REST builds and executes it on the CommandBus: the
 * caller's key is the actor; x-correlation-id, if-match (or expected-version) and idempotency-key come from
 * the call metadata. A recorded refusal (HotpatchRejected) answers FAILED_PRECONDITION, as REST answers 422.
 */
@Injectable()
export class GrpcCommandGateway {
  constructor(private readonly bus: CommandBus) {}

  async run(
    call: { method: string; request: object; metadata: Metadata; unary: ServerUnaryCall<unknown, unknown> },
    { command, occurredAt }: ParsedCommand,
  ): Promise<CommandReply> {
    const principal = principalOf(call.metadata);
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'no authenticated caller');
    const { execute, metadata } = commandEnvelope(
      command,
      {
        actor: { id: principal.name, role: principal.role },
        correlationId: single(call.metadata, 'x-correlation-id'),
        expectedVersion: single(call.metadata, 'if-match') ?? single(call.metadata, 'expected-version'),
        idempotencyKey: single(call.metadata, 'idempotency-key'),
        requestFingerprint: () => sha256(`grpc ${call.method} ${canonicalJson(call.request)}`),
      },
      METADATA_NAMES,
      occurredAt,
    );
    const { outcome, replayed } = await this.bus.execute<BusCommand, CommandResult>(execute);
    const position = outcomePosition(outcome);
    const headers = new Metadata();
    headers.set('x-correlation-id', metadata.correlationId);
    headers.set('etag', `"${outcome.version}"`);
    if (position !== undefined) headers.set('x-position', position);
    if (replayed) headers.set('idempotent-replayed', 'true');
    call.unary.sendMetadata(headers);
    return grpcReply(outcome, replayed, metadata.correlationId);
  }
}

/** A metadata value the caller sent once: a repeated key names no single version, key or id. */
export function single(metadata: Metadata, key: string): string | undefined {
  const values = metadata.get(key);
  if (values.length === 0) return undefined;
  if (values.length > 1 || typeof values[0] !== 'string') throw new ValidationError([{ field: key, message: 'must be sent once, as text' }]);
  return values[0];
}
