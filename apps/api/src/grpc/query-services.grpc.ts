import { Controller, Inject, UseFilters } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { ApiExcludeController } from '@nestjs/swagger';
import { ServerWritableStream } from '@grpc/grpc-js';
import { EMPTY, Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { Requires } from '@patchstate/auth';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { CVE_ID, FieldChecks, parseDeviceId, parsePatchId } from '@patchstate/domain';
import { DATA_SOURCE } from '@patchstate/event-store';
import {
  AuditEvent,
  AuditQueries,
  CveExposure,
  CveExposureQueries,
  DeviceDocument,
  DeviceQueries,
  FleetHistory,
  FleetHistoryQueries,
  FleetSummary,
  FleetSummaryQueries,
  Page,
  PatchRollout,
  ProjectionProgress,
  RolloutQueries,
  auditLogCursor,
  parseAsOf,
  parseAuditLogQuery,
  parseDeviceListFilter,
  parseExposureGroup,
  parseHistoryRange,
  parseLimit,
  parseWithinDays,
  parseTimelineQuery,
  timelineCursor,
} from '@patchstate/read-models';
import { ChainVerification } from '@patchstate/event-store';
import { GrpcErrorFilter } from './grpc-errors';
import { toStruct } from './struct-codec';

type GrpcRequest = Record<string, unknown>;

/*
 * Query replies are the query classes' own results: their field names are the proto fields' JSON names, so
 * the serializer maps them one to one (nulls become absent fields) and REST and gRPC answer the same data.
 */

/**
 * DeviceQueries (proto/patchstate/v1/device_queries.proto), over the same query classes as the REST
 * controllers, with the same validation and the same read-your-writes wait (min_position).
 */
@ApiExcludeController()
@Requires('queries')
@UseFilters(GrpcErrorFilter)
@Controller()
export class DeviceQueriesGrpcController {
  constructor(
    private readonly devices: DeviceQueries,
    private readonly rollouts: RolloutQueries,
    private readonly exposures: CveExposureQueries,
    private readonly fleet: FleetSummaryQueries,
    private readonly history: FleetHistoryQueries,
    private readonly progress: ProjectionProgress,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @GrpcMethod('DeviceQueries', 'GetDevice')
  async getDevice(request: GrpcRequest): Promise<DeviceDocument> {
    await this.readYourWrites(request.minPosition);
    return this.devices.device(parseDeviceId(request.deviceId), parseAsOf(request.asOf));
  }

  @GrpcMethod('DeviceQueries', 'ListDevices')
  async listDevices(request: GrpcRequest): Promise<Page<DeviceDocument>> {
    await this.readYourWrites(request.minPosition);
    const { state, ...filter } = parseDeviceListFilter(request.state, request.path, request.upToDate);
    return this.devices.listDevices(state, parseLimit(request.limit), cursorOf(request), filter, parseAsOf(request.asOf));
  }

  @GrpcMethod('DeviceQueries', 'GetRollout')
  async getRollout(request: GrpcRequest): Promise<PatchRollout> {
    await this.readYourWrites(request.minPosition);
    return this.rollouts.rollout(parsePatchId(request.patchId));
  }

  @GrpcMethod('DeviceQueries', 'GetCveExposure')
  async getCveExposure(request: GrpcRequest): Promise<CveExposure> {
    await this.readYourWrites(request.minPosition);
    new FieldChecks({ cveId: request.cveId }).requiredString('cveId', CVE_ID, 'a CVE id such as CVE-2025-21333').throwIfInvalid();
    return this.exposures.exposure(
      request.cveId as string,
      parseExposureGroup(request.group),
      parseLimit(request.limit),
      cursorOf(request),
      parseWithinDays(request.withinDays),
      parseAsOf(request.asOf),
    );
  }

  @GrpcMethod('DeviceQueries', 'GetFleetSummary')
  async getFleetSummary(request: GrpcRequest): Promise<FleetSummary> {
    await this.readYourWrites(request.minPosition);
    return this.fleet.summary(parseAsOf(request.asOf));
  }

  @GrpcMethod('DeviceQueries', 'GetFleetHistory')
  async getFleetHistory(request: GrpcRequest): Promise<FleetHistory> {
    await this.readYourWrites(request.minPosition);
    return this.history.history(parseHistoryRange(request.from, request.to, request.step));
  }

  /** The gRPC twin of ReadYourWritesInterceptor: wait (bounded) until the read models applied min_position. */
  private readYourWrites(minPosition: unknown): Promise<void> {
    return this.progress.waitForMinPosition(minPosition, this.config.readYourWrites.maxWaitMs);
  }
}

function cursorOf(request: GrpcRequest): string | undefined {
  return typeof request.cursor === 'string' && request.cursor !== '' ? request.cursor : undefined;
}

/**
 * Audit (proto/patchstate/v1/audit.proto). The two server streams write straight to the call, pulling the
 * next event from the query's page-by-page iterator only when the call accepted the previous one.
 */
@ApiExcludeController()
@Requires('audit')
@UseFilters(GrpcErrorFilter)
@Controller()
export class AuditGrpcController {
  private readonly audit: AuditQueries;

  constructor(@Inject(DATA_SOURCE) db: DataSource) {
    this.audit = new AuditQueries(db);
  }

  @GrpcMethod('Audit', 'Verify')
  async verify(request: GrpcRequest): Promise<ChainVerification> {
    return this.audit.verify(request.deviceId === undefined ? undefined : parseDeviceId(request.deviceId));
  }

  @GrpcMethod('Audit', 'GetTimeline')
  async getTimeline(request: GrpcRequest, _metadata: unknown, call: ServerWritableStream<unknown, unknown>): Promise<Observable<never>> {
    const query = parseTimelineQuery({ deviceId: request.deviceId, from: request.from, to: request.to, type: request.types, cursor: request.cursor }, { streaming: true });
    await writeStream(call, this.audit.streamTimeline(query.filter, query.afterVersion), timelineCursor);
    return EMPTY;
  }

  @GrpcMethod('Audit', 'ListAuditEvents')
  async listAuditEvents(request: GrpcRequest, _metadata: unknown, call: ServerWritableStream<unknown, unknown>): Promise<Observable<never>> {
    const query = parseAuditLogQuery({ actor: request.actor, from: request.from, to: request.to, type: request.types, cursor: request.cursor }, { streaming: true });
    await writeStream(call, this.audit.streamAuditLog(query.filter, query.afterPosition), auditLogCursor);
    return EMPTY;
  }
}

/**
 * Writes events to a server stream with backpressure: when write() says the buffer is full, wait for
 * 'drain' (HTTP/2 flow control propagates the client's pace) before pulling the next event. A cancelled
 * call stops the reads. An error before the first message fails the call cleanly (NOT_FOUND, ...).
 */
async function writeStream(
  call: ServerWritableStream<unknown, unknown>,
  events: AsyncGenerator<AuditEvent>,
  resumeCursor: (event: AuditEvent) => string,
): Promise<void> {
  try {
    for await (const event of events) {
      if (call.cancelled) return;
      if (!call.write(toAuditEventMessage(event, resumeCursor(event)))) {
        await drainedOrCancelled(call);
      }
    }
  } finally {
    await events.return(undefined);
  }
}

function drainedOrCancelled(call: ServerWritableStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}

function toAuditEventMessage(event: AuditEvent, resumeCursor: string): Record<string, unknown> {
  return { ...event, data: toStruct(event.data), resumeCursor };
}
