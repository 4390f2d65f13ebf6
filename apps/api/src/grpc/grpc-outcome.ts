import { CommandOutcome } from '@patchstate/command-handling';
import { notEligible } from '../command-envelope/not-eligible';
import { StructMessage, toStruct } from './struct-codec';

/** The CommandReply message of common.proto. */
export interface CommandReply {
  streamId: string;
  version: number;
  position: string;
  events: { eventId: string; type: string; version: number; position: string; data: StructMessage }[];
  replayed: boolean;
  correlationId: string;
}

/**
 * A command's outcome as gRPC answers it: a CommandReply with the appended events; a recorded refusal is
 * FAILED_PRECONDITION NOT_ELIGIBLE (thrown, for GrpcErrorFilter), as REST answers 422. An unchanged outcome
 * appended nothing: no events, and position 0, proto3's "not set".
 */
export function grpcReply(outcome: CommandOutcome, replayed: boolean, correlationId: string): CommandReply {
  if (outcome.kind === 'rejected') throw notEligible(outcome);
  const appended = outcome.kind === 'accepted' ? outcome : { position: '0', events: [] };
  return {
    streamId: outcome.streamId,
    version: outcome.version,
    position: appended.position,
    events: appended.events.map((event) => ({ ...event, data: toStruct(event.data) })),
    replayed,
    correlationId,
  };
}
