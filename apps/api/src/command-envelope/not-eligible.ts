import { DomainError } from '@patchstate/domain';
import { RejectedOutcome } from '@patchstate/command-handling';

/**
 * A recorded refusal as both transports tell it: NOT_ELIGIBLE with the reasons and the HotpatchRejected
 * event's stream, version and position (REST 422, gRPC FAILED_PRECONDITION), in the same words.
 */
export function notEligible(outcome: RejectedOutcome): DomainError {
  return new DomainError('NOT_ELIGIBLE', `${outcome.patchId} is not eligible: ${outcome.reasons.join(', ')}`, {
    reasons: outcome.reasons,
    patchId: outcome.patchId,
    eventId: outcome.eventId,
    streamId: outcome.streamId,
    version: outcome.version,
    position: outcome.position,
  });
}
