import { Requires } from '@patchstate/auth';
import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { CommandGateway } from '../http/command-gateway';
import { parseCommand } from '../command-envelope/command-table';
import { ApiCommandResponses } from '../http/api-docs';

@ApiTags('patch catalog')
@Requires('catalog-commands')
@ApiCommandResponses()
@Controller('v1/patches')
export class PatchCommandsController {
  constructor(private readonly gateway: CommandGateway) {}

  @Post()
  @ApiOperation({ summary: 'PublishPatch → PatchPublished' })
  @ApiBody({ schema: { example: { patchId: 'KB5052093', kind: 'hotpatch', build: '26100.3037', baselineBuild: '26100.2894', releasedAt: '2025-02-11T18:00:00Z', architectures: ['x64'], cves: ['CVE-2025-21418'] } } })
  publish(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.gateway.run(req, res, parseCommand('PublishPatch', {}, body));
  }

  @Post(':patchId/revoke')
  @ApiOperation({ summary: 'RevokePatch → PatchRevoked' })
  revoke(@Param('patchId') patchId: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.gateway.run(req, res, parseCommand('RevokePatch', { patchId }, body));
  }
}
