import { CommandBus } from '@nestjs/cqrs';
import { DeviceCommand } from '@patchstate/domain';
import { CommandResult, busCommandFor } from '@patchstate/command-handling';

/** What one sent command did: the events it appended (none for an idempotent replay), and whether it was a refusal. */
export interface Sent {
  appended: { type: string }[];
  position: string | null;
  rejected: string[] | null;
}

/**
 * The one place the importer meets the command bus: each command goes on the bus in its own class, to the same
 * handler REST and gRPC use, with its idempotency key. Kept apart so a change of the bus's shape touches only
 * this file.
 */
export async function sendCommand(bus: CommandBus, command: DeviceCommand, idempotency: { key: string; requestHash: string }): Promise<Sent> {
  const result = await bus.execute<ReturnType<typeof busCommandFor>, CommandResult>(busCommandFor(command, { idempotency }));
  const { outcome } = result;
  return {
    appended: result.append?.events ?? [],
    position: result.append ? String(result.append.position) : null,
    rejected: outcome.kind === 'rejected' ? outcome.reasons : null,
  };
}
