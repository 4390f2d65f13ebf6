import { DeadLetterRefused, RebuildFailed, RebuildRefused, ReplayAborted, UnknownProjection } from '@patchstate/read-models';
import { ReplayCommand } from './cli/replay-arguments';
import { usage } from './cli/usage';
import { auditVerifyCommand } from './commands/audit-verify.command';
import { deadLettersListCommand, deadLettersRetryCommand, deadLettersSkipCommand } from './commands/dead-letters.command';
import { deviceHistoryCommand } from './commands/device-history.command';
import { OffsetsRefused, offsetsResetCommand, offsetsShowCommand } from './commands/offsets.command';
import { rebuildCommand, verifyCommand } from './commands/rebuild.command';
import { CommandOutcome, ReplayContext } from './replay-context';

/**
 * Runs one parsed command. Expected failures (a refused or failed rebuild, a refused reset, an interrupt)
 * become a message and an exit code; anything else is a bug or an outage and is rethrown.
 */
export async function runReplayCommand(context: ReplayContext, command: ReplayCommand, options: { json?: boolean } = {}): Promise<CommandOutcome> {
  try {
    return await dispatch(context, command, options.json === true);
  } catch (error) {
    if (error instanceof ReplayAborted) {
      context.output.line('interrupted: the live read models are untouched and the shadow tables were dropped');
      return { exitCode: 130, summary: { command: command.name, ok: false, error: 'interrupted' } };
    }
    if (error instanceof UnknownProjection) {
      context.output.line(error.message);
      return { exitCode: 2, summary: { command: command.name, ok: false, error: error.message } };
    }
    if (
      error instanceof RebuildFailed ||
      error instanceof RebuildRefused ||
      error instanceof DeadLetterRefused ||
      error instanceof OffsetsRefused
    ) {
      context.output.line(error.message);
      return {
        exitCode: 1,
        summary: {
          command: command.name,
          ok: false,
          error: error.message,
          ...(error instanceof RebuildFailed ? { parked: error.parked } : {}),
        },
      };
    }
    throw error;
  }
}

async function dispatch(context: ReplayContext, command: ReplayCommand, json: boolean): Promise<CommandOutcome> {
  switch (command.name) {
    case 'help':
      context.output.line(usage(command.topic));
      return { exitCode: 0, summary: { command: 'help' } };
    case 'rebuild':
      return rebuildCommand(context, command);
    case 'verify':
      return verifyCommand(context, command);
    case 'device':
      return deviceHistoryCommand(context, { ...command, collectSteps: json });
    case 'audit-verify':
      return auditVerifyCommand(context, command);
    case 'offsets-show':
      return offsetsShowCommand(context);
    case 'offsets-reset':
      return offsetsResetCommand(context, command);
    case 'dead-letters-list':
      return deadLettersListCommand(context, command);
    case 'dead-letters-retry':
      return deadLettersRetryCommand(context, command);
    case 'dead-letters-skip':
      return deadLettersSkipCommand(context, command);
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}
