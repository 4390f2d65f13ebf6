import { Controller, UseFilters } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { GrpcMethod } from '@nestjs/microservices';
import { ApiExcludeController } from '@nestjs/swagger';
import { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Requires, principalOf } from '@patchstate/auth';
import { CatalogImportSummary } from '@patchstate/command-handling';
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
import { importCatalog } from '../command-envelope/catalog-import';
import { CommandReply, GrpcCommandGateway, single } from './grpc-command-gateway';
import { GrpcErrorFilter } from './grpc-errors';
import { ValueMessage, toValue } from './struct-codec';

/** A decoded request: camelCase fields, absent ones undefined (see SERVER_LOADER_OPTIONS). */
type GrpcRequest = Record<string, unknown>;
type UnaryCall = ServerUnaryCall<unknown, unknown>;

/** Splits the device id (a path parameter in REST) from the rest (the REST body). */
function deviceAndBody(request: GrpcRequest): { deviceId: string; body: GrpcRequest } {
  const { deviceId, ...body } = request;
  return { deviceId: parseDeviceId(deviceId), body };
}

/**
 * DeviceCommands (proto/patchstate/v1/device_commands.proto). Each RPC validates with the same domain
 * parser as its REST endpoint and runs the same command through GrpcCommandGateway: no rule lives here.
 */
@ApiExcludeController()
@Requires('device-commands')
@UseFilters(GrpcErrorFilter)
@Controller()
export class DeviceCommandsGrpcController {
  constructor(private readonly gateway: GrpcCommandGateway) {}

  @GrpcMethod('DeviceCommands', 'RegisterDevice')
  registerDevice(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<CommandReply> {
    const { registeredAt, ...data } = parseRegisterDevice(request);
    return this.gateway.run({ method: 'RegisterDevice', request, metadata, unary }, { type: 'RegisterDevice', data }, registeredAt);
  }

  @GrpcMethod('DeviceCommands', 'ReportDeviceProfile')
  reportDeviceProfile(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<CommandReply> {
    const { deviceId, body } = deviceAndBody(request);
    const { changes, reportedAt } = parseProfileReport(body);
    return this.gateway.run(
      { method: 'ReportDeviceProfile', request, metadata, unary },
      { type: 'ReportDeviceProfile', data: { deviceId, changes } },
      reportedAt,
    );
  }

  @GrpcMethod('DeviceCommands', 'ApplyHotpatch')
  applyHotpatch(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<CommandReply> {
    const { deviceId, body } = deviceAndBody(request);
    const { patchId, appliedAt } = parseApplyHotpatch(body);
    return this.gateway.run({ method: 'ApplyHotpatch', request, metadata, unary }, { type: 'ApplyHotpatch', data: { deviceId, patchId } }, appliedAt);
  }

  @GrpcMethod('DeviceCommands', 'CommitOnReboot')
  commitOnReboot(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<CommandReply> {
    const { deviceId, body } = deviceAndBody(request);
    const { bootId, rebootedAt } = parseReboot(body);
    return this.gateway.run({ method: 'CommitOnReboot', request, metadata, unary }, { type: 'CommitOnReboot', data: { deviceId, bootId } }, rebootedAt);
  }

  @GrpcMethod('DeviceCommands', 'StageUpdate')
  stageUpdate(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<CommandReply> {
    const { deviceId, body } = deviceAndBody(request);
    const { patchId, stagedAt } = parseStageUpdate(body);
    return this.gateway.run({ method: 'StageUpdate', request, metadata, unary }, { type: 'StageUpdate', data: { deviceId, patchId } }, stagedAt);
  }

  @GrpcMethod('DeviceCommands', 'RevertHotpatch')
  revertHotpatch(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<CommandReply> {
    const { deviceId, body } = deviceAndBody(request);
    const { patchId: rawPatchId, ...rest } = body;
    const patchId = parsePatchId(rawPatchId);
    const { revertedAt } = parseRevert(rest);
    return this.gateway.run({ method: 'RevertHotpatch', request, metadata, unary }, { type: 'RevertHotpatch', data: { deviceId, patchId } }, revertedAt);
  }

  @GrpcMethod('DeviceCommands', 'ReportHotpatchFailure')
  reportHotpatchFailure(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<CommandReply> {
    const { deviceId, body } = deviceAndBody(request);
    const { patchId, errorCode, failedAt } = parseFailureReport(body);
    return this.gateway.run(
      { method: 'ReportHotpatchFailure', request, metadata, unary },
      { type: 'ReportHotpatchFailure', data: { deviceId, patchId, errorCode } },
      failedAt,
    );
  }

  @GrpcMethod('DeviceCommands', 'CheckInDevice')
  checkInDevice(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<CommandReply> {
    const { deviceId, body } = deviceAndBody(request);
    const { build, checkedInAt } = parseCheckIn(body);
    return this.gateway.run({ method: 'CheckInDevice', request, metadata, unary }, { type: 'CheckInDevice', data: { deviceId, build } }, checkedInAt);
  }

  @GrpcMethod('DeviceCommands', 'RetireDevice')
  retireDevice(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<CommandReply> {
    const { deviceId, body } = deviceAndBody(request);
    const { reason, retiredAt } = parseRetire(body);
    return this.gateway.run({ method: 'RetireDevice', request, metadata, unary }, { type: 'RetireDevice', data: { deviceId, reason } }, retiredAt);
  }
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
    const patch = parsePatchDefinition(publishBody(request));
    return this.gateway.run({ method: 'PublishPatch', request, metadata, unary }, { type: 'PublishPatch', data: patch });
  }

  @GrpcMethod('PatchCatalog', 'RevokePatch')
  revokePatch(request: GrpcRequest, metadata: Metadata, unary: UnaryCall): Promise<CommandReply> {
    const { patchId: rawPatchId, ...body } = request;
    const patchId = parsePatchId(rawPatchId);
    const { reason } = parseRevokePatch(body);
    return this.gateway.run({ method: 'RevokePatch', request, metadata, unary }, { type: 'RevokePatch', data: { patchId, reason } });
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
