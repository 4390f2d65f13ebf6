import { CommandOutcome } from '@patchstate/command-handling';
import { notEligible } from '../command-envelope/not-eligible';

/**
 * A command's outcome as REST answers it: 201 with the appended events, 422 NOT_ELIGIBLE for a recorded
 * refusal (an error body, yet the rejection is in the log), 200 when nothing changed. The body is built
 * field by field in a fixed order, so a replayed outcome is sent as the same bytes as the first answer.
 */
export function httpAnswer(outcome: CommandOutcome): { status: number; body: unknown } {
  switch (outcome.kind) {
    case 'accepted':
      return {
        status: 201,
        body: {
          streamId: outcome.streamId,
          version: outcome.version,
          position: outcome.position,
          events: outcome.events.map((event) => ({
            eventId: event.eventId,
            type: event.type,
            version: event.version,
            position: event.position,
            data: event.data,
          })),
        },
      };
    case 'rejected': {
      const refusal = notEligible(outcome);
      return { status: 422, body: { code: refusal.code, message: refusal.message, details: refusal.details } };
    }
    case 'unchanged':
      return { status: 200, body: { streamId: outcome.streamId, version: outcome.version, position: null, events: [] } };
  }
}
