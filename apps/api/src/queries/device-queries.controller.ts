import { Requires } from '@patchstate/auth';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { SERVICING_PATHS, parseDeviceId } from '@patchstate/domain';
import { DEVICE_LIST_STATES, DeviceQueries, parseAsOf, parseDeviceListFilter, parseLimit } from '@patchstate/read-models';
import { ApiQueryResponses } from '../http/api-docs';

@ApiTags('device queries')
@Requires('queries')
@ApiQueryResponses()
@Controller('v1/devices')
export class DeviceQueriesController {
  constructor(private readonly queries: DeviceQueries) {}

  @Get()
  @ApiOperation({ summary: 'Devices in a state and/or on a servicing path, paged by a stable cursor; with asOf, as the log said then' })
  @ApiQuery({
    name: 'state',
    enum: DEVICE_LIST_STATES,
    required: false,
    description:
      'required unless path or upToDate is given. overdue: past the deadline of the release its path offers (DEADLINE_HOTPATCH_DAYS / DEADLINE_RESTART_DAYS after its release); stale: not heard from for STALE_AFTER_DAYS (never up-to-date)',
  })
  @ApiQuery({ name: 'path', enum: SERVICING_PATHS, required: false, description: 'servicing path, judged against the catalog' })
  @ApiQuery({ name: 'upToDate', enum: ['true', 'false'], required: false, description: 'runs the newest release its path offers and is not stale' })
  @ApiQuery({ name: 'asOf', required: false, description: 'ISO time: devices and catalog as the log said then, judged at that time' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'minPosition', required: false, description: 'wait until the read models applied this position' })
  list(
    @Query('state') rawState: unknown,
    @Query('path') path: unknown,
    @Query('upToDate') upToDate: unknown,
    @Query('limit') limit: unknown,
    @Query('cursor') cursor: unknown,
    @Query('asOf') asOf: unknown,
  ) {
    const { state, ...filter } = parseDeviceListFilter(rawState, path, upToDate);
    return this.queries.listDevices(state, parseLimit(limit), typeof cursor === 'string' ? cursor : undefined, filter, parseAsOf(asOf));
  }

  @Get(':deviceId')
  @ApiOperation({
    summary: 'A device: both planes, eligibility, pending work, its deadline (servicing.due/deadline/overdue) and freshness (lastSeenAt, stale); with asOf, as the log said then',
  })
  @ApiQuery({ name: 'asOf', required: false, description: 'ISO time: answer from the events recorded up to then' })
  device(@Param('deviceId') id: string, @Query('asOf') asOf: unknown) {
    return this.queries.device(parseDeviceId(id), parseAsOf(asOf));
  }
}
