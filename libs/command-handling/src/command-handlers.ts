import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CommandExecutor, CommandResult } from './command-executor';
import {
  ApplyHotpatchCommand,
  BusCommand,
  CheckInDeviceCommand,
  CommitOnRebootCommand,
  ImportReleaseCommand,
  PublishPatchCommand,
  RegisterDeviceCommand,
  ReportDeviceProfileCommand,
  ReportHotpatchFailureCommand,
  RetireDeviceCommand,
  RevertHotpatchCommand,
  RevokePatchCommand,
  StageUpdateCommand,
} from './bus-commands';

/**
 * Every handler is this: the rules are in the command's decide function (libs/domain), the loading, retries,
 * idempotency and catalog cache in the one CommandExecutor. A handler of its own per command is where a
 * command's extra step (a check, a metric) goes, without a switch over every command.
 */
abstract class ExecutedByTheExecutor<C extends BusCommand> implements ICommandHandler<BusCommand, CommandResult> {
  constructor(@Inject(CommandExecutor) private readonly executor: CommandExecutor) {}

  execute({ command, options }: C): Promise<CommandResult> {
    return this.executor.execute(command, options);
  }
}

@CommandHandler(RegisterDeviceCommand)
export class RegisterDeviceHandler extends ExecutedByTheExecutor<RegisterDeviceCommand> {}

@CommandHandler(ReportDeviceProfileCommand)
export class ReportDeviceProfileHandler extends ExecutedByTheExecutor<ReportDeviceProfileCommand> {}

@CommandHandler(ApplyHotpatchCommand)
export class ApplyHotpatchHandler extends ExecutedByTheExecutor<ApplyHotpatchCommand> {}

@CommandHandler(CommitOnRebootCommand)
export class CommitOnRebootHandler extends ExecutedByTheExecutor<CommitOnRebootCommand> {}

@CommandHandler(StageUpdateCommand)
export class StageUpdateHandler extends ExecutedByTheExecutor<StageUpdateCommand> {}

@CommandHandler(RevertHotpatchCommand)
export class RevertHotpatchHandler extends ExecutedByTheExecutor<RevertHotpatchCommand> {}

@CommandHandler(ReportHotpatchFailureCommand)
export class ReportHotpatchFailureHandler extends ExecutedByTheExecutor<ReportHotpatchFailureCommand> {}

@CommandHandler(RetireDeviceCommand)
export class RetireDeviceHandler extends ExecutedByTheExecutor<RetireDeviceCommand> {}

@CommandHandler(CheckInDeviceCommand)
export class CheckInDeviceHandler extends ExecutedByTheExecutor<CheckInDeviceCommand> {}

@CommandHandler(PublishPatchCommand)
export class PublishPatchHandler extends ExecutedByTheExecutor<PublishPatchCommand> {}

@CommandHandler(RevokePatchCommand)
export class RevokePatchHandler extends ExecutedByTheExecutor<RevokePatchCommand> {}

@CommandHandler(ImportReleaseCommand)
export class ImportReleaseHandler extends ExecutedByTheExecutor<ImportReleaseCommand> {}

/** The handlers the command handling module registers on the bus: one per domain command. */
export const COMMAND_HANDLERS = [
  RegisterDeviceHandler,
  ReportDeviceProfileHandler,
  ApplyHotpatchHandler,
  CommitOnRebootHandler,
  StageUpdateHandler,
  RevertHotpatchHandler,
  ReportHotpatchFailureHandler,
  RetireDeviceHandler,
  CheckInDeviceHandler,
  PublishPatchHandler,
  RevokePatchHandler,
  ImportReleaseHandler,
];
