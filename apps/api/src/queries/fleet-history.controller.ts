import { Requires } from '@patchstate/auth';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { FleetHistoryQueries, MAX_HISTORY_POINTS, parseHistoryRange } from '@patchstate/read-models';
import { ApiQueryResponses } from '../http/api-docs';

/** The fleet summary over time, for the console's trend chart (and anyone's): one fold of the log per point. */
@ApiTags('fleet queries')
@Requires('queries')
@ApiQueryResponses()
@Controller('v1/fleet')
export class FleetHistoryController {
  constructor(private readonly history: FleetHistoryQueries) {}

  @Get('history')
  @ApiOperation({
    summary: `The fleet summary at from, from + step, ... up to to (at most ${MAX_HISTORY_POINTS} points), each as GET /v1/fleet/summary?asOf= answers it`,
  })
  @ApiQuery({ name: 'from', required: false, description: 'ISO time (default: 30 days before to)' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO time, not in the future (default: now)' })
  @ApiQuery({ name: 'step', required: false, description: '30s, 30m, 6h, 1d... (default 1d)' })
  @ApiQuery({ name: 'minPosition', required: false, description: 'wait until the read models applied this position' })
  fleetHistory(@Query('from') from: unknown, @Query('to') to: unknown, @Query('step') step: unknown) {
    return this.history.history(parseHistoryRange(from, to, step));
  }
}
