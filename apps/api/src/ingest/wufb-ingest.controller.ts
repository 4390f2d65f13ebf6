import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { Requires, principalOf } from '@patchstate/auth';
import { IngestSummary } from '@patchstate/ingest';
import { ingestWufb } from './wufb-ingest-request';

/** The path whose body may be larger than HTTP_BODY_LIMIT (bootstrap.ts): a fleet's export, not one command. */
export const WUFB_INGEST_PATH = '/v1/ingest/wufb';
/** Enough for an export of some 20,000 devices; larger fleets use the CLI, which streams the file. */
export const WUFB_INGEST_BODY_LIMIT = '10mb';

@ApiTags('ingest')
@Requires('catalog-commands')
@Controller('v1/ingest/wufb')
export class WufbIngestController {
  constructor(private readonly bus: CommandBus) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Import a Windows Update for Business reports export (docs/ingest.md)',
    description:
      'UCClient rows register devices, report profiles and check them in at their OSBuild; UCClientUpdateStatus rows apply ' +
      'hotpatches, stage updates, record restarts and failures. A bad row is reported with its line and reason and the ' +
      'others are applied; rows older than what the service knows are skipped. Re-importing the same export appends ' +
      'nothing. Answers 201 with the summary when events were appended (X-Position: the last one), else 200.',
  })
  @ApiBody({
    schema: { type: 'object', required: ['clients'], properties: { clients: { type: 'object' }, updateStatus: { type: 'object' } } },
    examples: {
      csv: {
        value: {
          clients: {
            name: 'UCClient.csv',
            content:
              'DeviceName,AzureADDeviceId,OSBuild,OSArchitecture,OSEdition,LastCensusScanTime,IsDeviceHotpatchEligible,TimeGenerated\n' +
              'ws-0042,71db1a1a-f1a6-4a25-b88f-79c2f513dae0,10.0.26100.8875,x64,Enterprise,2026-08-12T06:00:00Z,true,2026-08-12T07:00:00Z\n',
          },
        },
      },
    },
  })
  async import(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<IngestSummary> {
    const summary = await ingestWufb(this.bus, { principal: principalOf(req), correlationId: req.header('x-correlation-id'), correlationField: 'X-Correlation-Id' }, body);
    res.setHeader('X-Correlation-Id', summary.correlationId);
    if (summary.position !== null) {
      res.status(201);
      res.setHeader('X-Position', summary.position);
    }
    return summary;
  }
}
