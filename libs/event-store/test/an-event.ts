import { randomUUID } from 'node:crypto';
import { EventToAppend } from '@patchstate/event-store';
import { DEVICE_AGENT, DEFAULT_OCCURRED_AT } from '../../../test/builders';

/** An event as the command handler would hand it to the store. */
export function anEvent(type: string, data: Record<string, unknown> = {}): EventToAppend {
  return {
    type,
    data,
    metadata: {
      eventId: randomUUID(),
      occurredAt: DEFAULT_OCCURRED_AT,
      recordedAt: DEFAULT_OCCURRED_AT,
      actor: DEVICE_AGENT,
      correlationId: 'corr-event-store-test',
      causationId: 'cmd-event-store-test',
    },
  };
}
