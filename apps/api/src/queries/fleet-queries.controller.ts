import { Requires } from '@patchstate/auth';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CVE_ID, FieldChecks, parsePatchId } from '@patchstate/domain';
import {
  CveExposureQueries,
  EXPOSURE_GROUPS,
  FleetSummaryQueries,
  RolloutQueries,
  parseAsOf,
  parseExposureGroup,
  parseLimit,
  parseWithinDays,
} from '@patchstate/read-models';
import { ApiQueryResponses } from '../http/api-docs';

@ApiTags('fleet queries')
@Requires('queries')
@ApiQueryResponses()
@Controller('v1')
export class FleetQueriesController {
  constructor(
    private readonly rollouts: RolloutQueries,
    private readonly exposures: CveExposureQueries,
    private readonly fleet: FleetSummaryQueries,
  ) {}

  @Get('patches/:patchId/rollout')
  @ApiOperation({ summary: 'How far a hotpatch has rolled out: in memory, on disk, pending, failed, reverted, refused' })
  rollout(@Param('patchId') id: string) {
    return this.rollouts.rollout(parsePatchId(id));
  }

  @Get('cves/:cveId/exposure')
  @ApiOperation({ summary: 'Who is protected against a CVE on disk, only in memory, or not at all, and since when' })
  @ApiQuery({ name: 'group', enum: EXPOSURE_GROUPS, required: false, description: 'which devices to page through (default exposed)' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'withinDays', required: false, description: 'also count devices protected within N days of the release' })
  @ApiQuery({ name: 'asOf', required: false, description: 'ISO time: devices and catalog as the log said then' })
  exposure(
    @Param('cveId') cveId: string,
    @Query('group') group: unknown,
    @Query('limit') limit: unknown,
    @Query('cursor') cursor: unknown,
    @Query('withinDays') withinDays: unknown,
    @Query('asOf') asOf: unknown,
  ) {
    new FieldChecks({ cveId }).requiredString('cveId', CVE_ID, 'a CVE id such as CVE-2025-21333').throwIfInvalid();
    return this.exposures.exposure(
      cveId,
      parseExposureGroup(group),
      parseLimit(limit),
      typeof cursor === 'string' ? cursor : undefined,
      parseWithinDays(withinDays),
      parseAsOf(asOf),
    );
  }

  @Get('fleet/summary')
  @ApiOperation({
    summary: 'Devices by state (overdue and stale among them; stale ones never up-to-date), servicing path and reason; with asOf, as the log said then',
  })
  @ApiQuery({ name: 'asOf', required: false, description: 'ISO time: fold the fleet from the events recorded up to then' })
  summary(@Query('asOf') asOf: unknown) {
    return this.fleet.summary(parseAsOf(asOf));
  }
}
