import {
  ApplyHotpatch,
  CheckInDevice,
  CommitOnReboot,
  PatchCatalogCommand,
  RegisterDevice,
  ReportDeviceProfile,
  ReportHotpatchFailure,
  RetireDevice,
  RevertHotpatch,
  StageUpdate,
} from '@patchstate/domain';
import { AnyCommand, ExecutionOptions } from './command-executor';

type CatalogCommand<T extends PatchCatalogCommand['type']> = Extract<PatchCatalogCommand, { type: T }>;

/**
 * A domain command on the CQRS bus, with how the caller wants it run (If-Match, Idempotency-Key). The bus
 * finds a handler by class, so each command the product is about has a class of its own.
 */
export abstract class BusCommand<C extends AnyCommand = AnyCommand> {
  constructor(
    readonly command: C,
    readonly options: ExecutionOptions = {},
  ) {}
}

export class RegisterDeviceCommand extends BusCommand<RegisterDevice> {}
export class ReportDeviceProfileCommand extends BusCommand<ReportDeviceProfile> {}
export class ApplyHotpatchCommand extends BusCommand<ApplyHotpatch> {}
export class CommitOnRebootCommand extends BusCommand<CommitOnReboot> {}
export class StageUpdateCommand extends BusCommand<StageUpdate> {}
export class RevertHotpatchCommand extends BusCommand<RevertHotpatch> {}
export class ReportHotpatchFailureCommand extends BusCommand<ReportHotpatchFailure> {}
export class RetireDeviceCommand extends BusCommand<RetireDevice> {}
export class CheckInDeviceCommand extends BusCommand<CheckInDevice> {}
export class PublishPatchCommand extends BusCommand<CatalogCommand<'PublishPatch'>> {}
export class RevokePatchCommand extends BusCommand<CatalogCommand<'RevokePatch'>> {}
export class ImportReleaseCommand extends BusCommand<CatalogCommand<'ImportRelease'>> {}

type CommandOf<T extends AnyCommand['type']> = Extract<AnyCommand, { type: T }>;

/** The bus class of every domain command type: a Record, so a new domain command without a class does not compile. */
export const BUS_COMMAND_CLASSES: { [T in AnyCommand['type']]: new (command: CommandOf<T>, options?: ExecutionOptions) => BusCommand<CommandOf<T>> } = {
  RegisterDevice: RegisterDeviceCommand,
  ReportDeviceProfile: ReportDeviceProfileCommand,
  ApplyHotpatch: ApplyHotpatchCommand,
  CommitOnReboot: CommitOnRebootCommand,
  StageUpdate: StageUpdateCommand,
  RevertHotpatch: RevertHotpatchCommand,
  ReportHotpatchFailure: ReportHotpatchFailureCommand,
  RetireDevice: RetireDeviceCommand,
  CheckInDevice: CheckInDeviceCommand,
  PublishPatch: PublishPatchCommand,
  RevokePatch: RevokePatchCommand,
  ImportRelease: ImportReleaseCommand,
};

/** Puts a domain command in its bus class, for callers that hold a command of any type (transports, fixtures). */
export function busCommandFor<C extends AnyCommand>(command: C, options: ExecutionOptions = {}): BusCommand<C> {
  // The table pairs each type with its class; TypeScript cannot follow a lookup by a union-typed key.
  const BusClass = BUS_COMMAND_CLASSES[command.type] as new (command: AnyCommand, options?: ExecutionOptions) => BusCommand<C>;
  return new BusClass(command, options);
}
