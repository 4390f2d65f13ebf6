import { AppendResult, StoredResponse } from '@patchstate/event-store';

/**
 * The transport-neutral answer to an accepted command. A rejected hotpatch is recorded (auditors need it)
 * yet answered as NOT_ELIGIBLE with the reasons and the rejection's position.
 */
export function describeOutcome(result: AppendResult): StoredResponse {
  const last = result.events[result.events.length - 1];
  if (last.type === 'HotpatchRejected') {
    const data = last.data as { patchId: string; reasons: string[] };
    return {
      statusCode: 422,
      body: {
        code: 'NOT_ELIGIBLE',
        message: `${data.patchId} is not eligible: ${data.reasons.join(', ')}`,
        details: {
          reasons: data.reasons,
          patchId: data.patchId,
          eventId: last.metadata.eventId,
          streamId: result.streamId,
          version: result.version,
          position: result.position,
        },
      },
    };
  }
  return {
    statusCode: 201,
    body: {
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
    },
  };
}

/** The answer to a command that changed nothing: the stream as it is. */
export function describeUnchanged(streamId: string, version: number): StoredResponse {
  return { statusCode: 200, body: { streamId, version, position: null, events: [] } };
}
