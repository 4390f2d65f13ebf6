import { Controller, UseFilters } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { GrpcMethod } from '@nestjs/microservices';
import { ApiExcludeController } from '@nestjs/swagger';
import { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Requires, principalOf } from '@patchstate/auth';
import { IngestSummary, RowReport } from '@patchstate/ingest';
import { single } from '../grpc/grpc-command-gateway';
import { GrpcErrorFilter } from '../grpc/grpc-errors';
import { ingestWufb } from './wufb-ingest-request';

/** A decoded request: camelCase fields, absent ones undefined (see SERVER_LOADER_OPTIONS). */
type GrpcRequest = Record<string, unknown>;

/** The IngestWufbReply message of fleet_ingest.proto: the REST summary, with absent fields for its nulls. */
export interface IngestWufbReply extends Omit<IngestSummary, 'rows' | 'position'> {
  rows: (Omit<RowReport, 'deviceId'> & { deviceId?: string })[];
  position?: string;
}

/**
 * Proto3 does not send an empty string, so an ExportFile with empty content arrives without it: as REST, an
 * empty export is read (zero rows), not refused as missing. Other fields go through as sent, so the shared
 * request check names unknown or bad ones exactly as it does for REST.
 */
function exportFile(file: unknown): unknown {
  if (file === null || typeof file !== 'object') return file;
  return { ...file, content: (file as { content?: unknown }).content ?? '' };
}

/** FleetIngest (proto/patchstate/v1/fleet_ingest.proto): the same request check, import and summary as REST. */
@ApiExcludeController()
@Requires('catalog-commands')
@UseFilters(GrpcErrorFilter)
@Controller()
export class FleetIngestGrpcController {
  constructor(private readonly bus: CommandBus) {}

  @GrpcMethod('FleetIngest', 'IngestWufb')
  async ingestWufb(request: GrpcRequest, metadata: Metadata, unary: ServerUnaryCall<unknown, unknown>): Promise<IngestWufbReply> {
    const body = {
      ...request,
      ...(request.clients !== undefined ? { clients: exportFile(request.clients) } : {}),
      ...(request.updateStatus !== undefined ? { updateStatus: exportFile(request.updateStatus) } : {}),
    };
    const summary = await ingestWufb(
      this.bus,
      { principal: principalOf(metadata), correlationId: single(metadata, 'x-correlation-id'), correlationField: 'x-correlation-id' },
      body,
    );
    const headers = new Metadata();
    headers.set('x-correlation-id', summary.correlationId);
    if (summary.position !== null) headers.set('x-position', summary.position);
    unary.sendMetadata(headers);
    return ingestReply(summary);
  }
}

function ingestReply({ position, rows, ...counts }: IngestSummary): IngestWufbReply {
  return {
    ...counts,
    rows: rows.map(({ deviceId, ...row }) => ({ ...row, ...(deviceId !== null ? { deviceId } : {}) })),
    ...(position !== null ? { position } : {}),
  };
}
