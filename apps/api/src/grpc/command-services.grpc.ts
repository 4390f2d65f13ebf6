import { Controller, UseFilters } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { GrpcMethod } from '@nestjs/microservices';
import { ApiExcludeController } from '@nestjs/swagger';
import { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Requires, principalOf } from '@patchstate/auth';
import { CatalogImportSummary } from '@patchstate/command-handling';
import { SentCommandType, parseCommand, splitMessage } from '../command-envelope/command-table';
import { importCatalog } from '../command-envelope/catalog-import';
import { CommandReply, GrpcCommandGateway, single } from './grpc-command-gateway';
import { GrpcErrorFilter } from './grpc-errors';
import { ValueMessage, toValue } from './struct-codec';

/** A decoded request: camelCase fields, absent ones undefined (see SERVER_LOADER_OPTIONS). */
type GrpcRequest = Record<string, unknown>;
type UnaryCall = ServerUnaryCall<unknown, unknown>;

/** Runs one command RPC: the message split as REST splits path and body, parsed by the shared command table. */
function runCommand(
  gateway: GrpcCommandGateway,
  type: SentCommandType,
  call: { request: GrpcRequest; metadata: Metadata; unary: UnaryCall },
  body: (rest: GrpcRequest) => GrpcRequest = (rest) => rest,
): Promise<CommandReply> {
  const split = splitMessage(type, call.request);
  return gateway.run({ method: type, ...call }, parseCommand(type, split.path, body(split.body)));
}

/** The RPCs of DeviceCommands, each named as the command it sends (proto/patchstate/v1/device_commands.proto). */
const DEVICE_COMMAND_RPCS = [
  'RegisterDevice',
  'ReportDeviceProfile',
  'ApplyHotpatch',
  'CommitOnReboot',
  'StageUpdate',
  'RevertHotpatch',
  'ReportHotpatchFailure',
  'CheckInDevice',
  'RetireDevice',
] as const satisfies readonly SentCommandType[];

/**
 * DeviceCommands. Each RPC validates with the same domain parser as its REST endpoint (the shared command table)
 * and runs the same command through GrpcCommandGateway: no rule lives here. The RPCs differ only in the command
 * they name, so they are bound from the list below rather than written out one method each.
 */
@ApiExcludeController()
@Requires('device-commands')
@UseFilters(GrpcErrorFilter)
@Controller()
export class DeviceCommandsGrpcController {
  constructor(readonly gateway: GrpcCommandGateway) {}
}

for (const rpc of DEVICE_COMMAND_RPCS) {
  const prototype = DeviceCommandsGrpcController.prototype as unknown as Record<string, unknown>;
  prototype[rpc] = function (this: DeviceCommandsGrpcController, request: GrpcRequest, metadata: Metadata, unary: UnaryCall) {
    return runCommand(this.gateway, rpc, { request, metadata, unary });
  };
  // What `@GrpcMethod('DeviceCommands', rpc)` does on a written-out method.
  GrpcMethod('DeviceCommands', rpc)(prototype, rpc, Object.getOwnPropertyDescriptor(prototype, rpc)!);
}

/**
 * The REST body of a PublishPatchRequest. Proto3 cannot tell an absent field from an empty one: no CVEs listed
 * is an empty list, and a request that sets `build` is in the first shape (one build, a baseline build).
 */
function publishBody(request: GrpcRequest): GrpcRequest {
  const { build, baselineBuild, builds, baselineKb, baselineBuilds, replaces, ...common } = request;
  const body = { ...common, cves: request.cves ?? [] };
  if (typeof build === 'string' && build !== '') return { ...body, build, ...(baselineBuild ? { baselineBuild } : {}) };
  return {
    ...body,
    builds: builds ?? {},
    ...(baselineKb ? { baselineKb } : {}),
    ...(baselineBuilds ? { baselineBuilds } : {}),
    replaces: replaces ?? [],
  };
}

/** PatchCatalog (proto/patchstate/v1/patch_catalog.proto). */
@ApiExcludeController()
@Requires('catalog-commands')
@UseFilters(GrpcErrorFilter)
@Controller()
export class PatchCatalogGrpcController {
  constructor(
    private readonly gateway: GrpcCommandGateway,
    private readonly bus: CommandBus,
  ) {}

  @GrpcMethod('PatchCatalog', 'PublishPatch')
  publishPatch(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<CommandReply> {
    return runCommand(this.gateway, 'PublishPatch', { request, metadata, unary }, publishBody);
  }

  @GrpcMethod('PatchCatalog', 'RevokePatch')
  revokePatch(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<CommandReply> {
    return runCommand(this.gateway, 'RevokePatch', { request, metadata, unary });
  }

  /** The same parsing, rules and summary as POST /v1/catalog/imports. */
  @GrpcMethod('PatchCatalog', 'ImportCatalog')
  async importCatalog(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<ImportCatalogReply> {
    const { dryRun, ...file } = request;
    const { summary, correlationId } = await importCatalog(
      this.bus,
      { principal: principalOf(metadata), correlationId: single(metadata, 'x-correlation-id'), correlationField: 'x-correlation-id' },
      file,
      { dryRun: dryRun === true },
    );
    const headers = new Metadata();
    headers.set('x-correlation-id', correlationId);
    if (summary.position !== null) headers.set('x-position', summary.position);
    unary.sendMetadata(headers);
    return importReply(summary, correlationId);
  }
}

/** The ImportCatalogReply message of patch_catalog.proto. */
interface ImportCatalogReply {
  published: string[];
  amended: { kb: string; changes: { field: string; before: ValueMessage; after: ValueMessage }[] }[];
  unchanged: string[];
  position?: string;
  dryRun: boolean;
  correlationId: string;
}

function importReply(summary: CatalogImportSummary, correlationId: string): ImportCatalogReply {
  return {
    published: summary.published,
    amended: summary.amended.map(({ kb, changes }) => ({
      kb,
      changes: changes.map((change) => ({ field: change.field, before: toValue(change.from), after: toValue(change.to) })),
    })),
    unchanged: summary.unchanged,
    ...(summary.position !== null ? { position: summary.position } : {}),
    dryRun: summary.dryRun,
    correlationId,
  };
}
