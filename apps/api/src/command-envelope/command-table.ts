import {
  parseApplyHotpatch,
  parseCheckIn,
  parseDeviceId,
  parseFailureReport,
  parsePatchDefinition,
  parsePatchId,
  parseProfileReport,
  parseReboot,
  parseRegisterDevice,
  parseRetire,
  parseRevert,
  parseRevokePatch,
  parseStageUpdate,
} from '@patchstate/domain';
import { AnyCommand } from '@patchstate/command-handling';
import { Untimed } from './command-envelope';
import { parseTogether } from './parse-together';

/** The commands a caller sends one at a time (ImportRelease comes only from a catalog import). */
export type SentCommandType = Exclude<AnyCommand['type'], 'ImportRelease'>;
type DataOf<T extends SentCommandType> = Extract<AnyCommand, { type: T }>['data'];

/** The ids a REST route takes from its path; a gRPC message carries them as fields beside the rest. */
export type PathField = 'deviceId' | 'patchId';
const PATH_PARSERS: Record<PathField, (value: unknown) => string> = { deviceId: parseDeviceId, patchId: parsePatchId };

interface CommandParsing {
  /** In the order their errors are named, before the body's. */
  path: readonly PathField[];
  /** The domain parser of the rest: the REST body, the gRPC message without the path fields. */
  body: (input: unknown) => object;
  /** The body field saying when it happened on the device or in the operator's world: the command's occurredAt. */
  occurredAt?: string;
}

/**
 * One entry of command T, checked at compile time: the path ids and the parsed body without its time field
 * make T's data.
 */
function parsing<T extends SentCommandType>() {
  return <P extends PathField, B extends object, O extends keyof B & string = never>(
    path: readonly P[],
    body: (input: unknown) => B,
    occurredAt?: O,
    ..._fits: Record<P, string> & Omit<B, O> extends DataOf<T> ? [] : [never]
  ): CommandParsing => ({ path, body, occurredAt });
}

/** How each command is parsed, whatever the transport: REST and gRPC refuse and accept exactly the same. */
export const COMMAND_TABLE: Record<SentCommandType, CommandParsing> = {
  RegisterDevice: parsing<'RegisterDevice'>()([], parseRegisterDevice, 'registeredAt'),
  ReportDeviceProfile: parsing<'ReportDeviceProfile'>()(['deviceId'], parseProfileReport, 'reportedAt'),
  RetireDevice: parsing<'RetireDevice'>()(['deviceId'], parseRetire, 'retiredAt'),
  ApplyHotpatch: parsing<'ApplyHotpatch'>()(['deviceId'], parseApplyHotpatch, 'appliedAt'),
  CommitOnReboot: parsing<'CommitOnReboot'>()(['deviceId'], parseReboot, 'rebootedAt'),
  StageUpdate: parsing<'StageUpdate'>()(['deviceId'], parseStageUpdate, 'stagedAt'),
  RevertHotpatch: parsing<'RevertHotpatch'>()(['deviceId', 'patchId'], parseRevert, 'revertedAt'),
  CheckInDevice: parsing<'CheckInDevice'>()(['deviceId'], parseCheckIn, 'checkedInAt'),
  ReportHotpatchFailure: parsing<'ReportHotpatchFailure'>()(['deviceId'], parseFailureReport, 'failedAt'),
  PublishPatch: parsing<'PublishPatch'>()([], parsePatchDefinition),
  RevokePatch: parsing<'RevokePatch'>()(['patchId'], parseRevokePatch),
};

/** A parsed command, ready for the envelope: its occurredAt is the caller's, when the body names one. */
export interface ParsedCommand {
  command: Untimed<AnyCommand>;
  occurredAt?: string;
}

/**
 * Parses a command from its path ids and its body, naming every bad field of both at once
 * (VALIDATION_FAILED), and builds it: data is the path ids, then the body without its time field.
 */
export function parseCommand(type: SentCommandType, path: Partial<Record<PathField, unknown>>, body: unknown): ParsedCommand {
  const { path: fields, body: parseBody, occurredAt: timeField } = COMMAND_TABLE[type];
  const parsed = parseTogether<unknown[]>(...fields.map((field) => () => PATH_PARSERS[field](path[field])), () => parseBody(body));
  const ids = Object.fromEntries(fields.map((field, index) => [field, parsed[index]]));
  const rest = { ...(parsed[fields.length] as Record<string, unknown>) };
  let occurredAt: string | undefined;
  if (timeField !== undefined) {
    occurredAt = rest[timeField] as string | undefined;
    delete rest[timeField];
  }
  // The entry's compile-time check (`parsing`) ties these fields to the command's data.
  return { command: { type, data: { ...ids, ...rest } } as Untimed<AnyCommand>, occurredAt };
}

/** A gRPC message split as REST splits a request: the path ids, and the rest as the body. */
export function splitMessage(type: SentCommandType, message: Record<string, unknown>): { path: Partial<Record<PathField, unknown>>; body: Record<string, unknown> } {
  const path: Partial<Record<PathField, unknown>> = {};
  const body = { ...message };
  for (const field of COMMAND_TABLE[type].path) {
    path[field] = body[field];
    delete body[field];
  }
  return { path, body };
}
