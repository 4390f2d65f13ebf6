import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { Requires } from '@patchstate/auth';
import { FieldChecks, parseDeviceId } from '@patchstate/domain';
import { DATA_SOURCE } from '@patchstate/event-store';
import { AuditQueries, parseAuditLogQuery, parseTimelineQuery } from '@patchstate/read-models';
import { NDJSON, writeNdjson } from './ndjson-response';
import { ApiQueryResponses } from '../http/api-docs';

const TIME_RANGE_HINT = 'ISO time on recordedAt; `from` inclusive, `to` exclusive';

/**
 * The audit queries over REST. They read the event store, not a projection: what a timeline shows is the
 * log itself, with the hashes that let anyone check it. With `Accept: application/x-ndjson` a selection is
 * streamed whole instead of paged.
 */
@ApiTags('audit')
@Requires('audit')
@ApiQueryResponses()
@Controller('v1')
export class AuditController {
  private readonly audit: AuditQueries;

  constructor(@Inject(DATA_SOURCE) db: DataSource) {
    this.audit = new AuditQueries(db);
  }

  @Get('devices/:deviceId/timeline')
  @ApiOperation({ summary: "A device's events, oldest first, with actor, ids and hash chain links" })
  @ApiProduces('application/json', NDJSON)
  @ApiQuery({ name: 'from', required: false, description: TIME_RANGE_HINT })
  @ApiQuery({ name: 'to', required: false, description: TIME_RANGE_HINT })
  @ApiQuery({ name: 'type', required: false, description: 'event types, comma-separated or repeated' })
  @ApiQuery({ name: 'limit', required: false, description: 'page size, 1-1000 (default 100); not with ndjson' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  async timeline(@Param('deviceId') deviceId: string, @Query() query: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    rejectUnknown(query, ['from', 'to', 'type', 'limit', 'cursor', 'minPosition']);
    const streaming = wantsNdjson(req);
    const request = parseTimelineQuery({ deviceId, ...query }, { streaming });
    if (streaming) return writeNdjson(res, this.audit.streamTimeline(request.filter, request.afterVersion));
    res.json(await this.audit.timeline(request.filter, request.limit as number, request.afterVersion));
  }

  @Get('audit/events')
  @ApiOperation({ summary: 'The fleet audit log in global order: who did what, when; ndjson streams the whole selection' })
  @ApiProduces('application/json', NDJSON)
  @ApiQuery({ name: 'actor', required: false, description: 'the actor id recorded with the event' })
  @ApiQuery({ name: 'type', required: false, description: 'event types, comma-separated or repeated' })
  @ApiQuery({ name: 'from', required: false, description: TIME_RANGE_HINT })
  @ApiQuery({ name: 'to', required: false, description: TIME_RANGE_HINT })
  @ApiQuery({ name: 'limit', required: false, description: 'page size, 1-1000 (default 100); not with ndjson' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  async auditLog(@Query() query: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    rejectUnknown(query, ['actor', 'type', 'from', 'to', 'limit', 'cursor', 'minPosition']);
    const streaming = wantsNdjson(req);
    const request = parseAuditLogQuery(query, { streaming });
    if (streaming) return writeNdjson(res, this.audit.streamAuditLog(request.filter, request.afterPosition));
    res.json(await this.audit.auditLog(request.filter, request.limit as number, request.afterPosition));
  }

  @Get('audit/verify')
  @ApiOperation({ summary: 'Recompute the hash chains of one device, or of every stream, and name the first broken link' })
  @ApiQuery({ name: 'deviceId', required: false })
  async verify(@Query() query: Record<string, unknown>) {
    rejectUnknown(query, ['deviceId', 'minPosition']);
    const deviceId = query.deviceId === undefined ? undefined : parseDeviceId(query.deviceId);
    return this.audit.verify(deviceId);
  }
}

/** `Accept: application/x-ndjson` asks for the stream; anything else (or nothing) gets JSON pages. */
function wantsNdjson(req: Request): boolean {
  return req.accepts(['application/json', NDJSON]) === NDJSON;
}

function rejectUnknown(query: Record<string, unknown>, known: string[]): void {
  new FieldChecks(query).onlyKnown(known).throwIfInvalid();
}
