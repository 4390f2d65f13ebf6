import { Requires } from '@patchstate/auth';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { parseDeviceId } from '@patchstate/domain';
import { DEVICE_LIST_STATES, DeviceQueries, parseAsOf, parseDeviceListState, parseLimit } from '@patchstate/read-models';
import { ApiQueryResponses } from '../http/api-docs';

@ApiTags('device queries')
@Requires('queries')
@ApiQueryResponses()
@Controller('v1/devices')
export class DeviceQueriesController {
  constructor(private readonly queries: DeviceQueries) {}

  @Get()
  @ApiOperation({ summary: 'Devices in a state, paged by a stable cursor' })
  @ApiQuery({ name: 'state', enum: DEVICE_LIST_STATES })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'minPosition', required: false, description: 'wait until the read models applied this position' })
  list(@Query('state') state: unknown, @Query('limit') limit: unknown, @Query('cursor') cursor: unknown) {
    return this.queries.listDevices(parseDeviceListState(state), parseLimit(limit), typeof cursor === 'string' ? cursor : undefined);
  }

  @Get(':deviceId')
  @ApiOperation({ summary: 'A device: both planes, eligibility, pending work; with asOf, as the log said then' })
  @ApiQuery({ name: 'asOf', required: false, description: 'ISO time: answer from the events recorded up to then' })
  device(@Param('deviceId') id: string, @Query('asOf') asOf: unknown) {
    return this.queries.device(parseDeviceId(id), parseAsOf(asOf));
  }
}
