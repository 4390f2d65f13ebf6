import { Requires } from '@patchstate/auth';
import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { CommandGateway } from '../http/command-gateway';
import { parseCommand } from '../command-envelope/command-table';
import { ApiCommandResponses } from '../http/api-docs';

/** Device commands. Controllers only translate: the deciders hold every rule. */
@ApiTags('device commands')
@ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same key + same body: the stored response, nothing appended' })
@ApiHeader({ name: 'If-Match', required: false, description: 'Expected stream version, e.g. "3"; a mismatch is 412 VERSION_CONFLICT' })
@ApiHeader({ name: 'X-Correlation-Id', required: false })
@Requires('device-commands')
@ApiCommandResponses()
@Controller('v1/devices')
export class DeviceCommandsController {
  constructor(private readonly gateway: CommandGateway) {}

  @Post()
  @ApiOperation({ summary: 'RegisterDevice → DeviceRegistered' })
  @ApiBody({ schema: { example: { deviceId: 'dev-001', hostname: 'fin-laptop-001', profile: { product: 'windows-11', edition: 'enterprise', architecture: 'x64', build: '26100.7392', vbs: 'running', chpeDisabled: false, hotpatchEnabled: true } } } })
  register(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.gateway.run(req, res, parseCommand('RegisterDevice', {}, body));
  }

  @Post(':deviceId/profile')
  @ApiOperation({ summary: 'ReportDeviceProfile → DeviceProfileReported' })
  @ApiBody({ schema: { example: { vbs: 'off' } } })
  reportProfile(@Param('deviceId') deviceId: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.gateway.run(req, res, parseCommand('ReportDeviceProfile', { deviceId }, body));
  }

  @Post(':deviceId/retire')
  @ApiOperation({ summary: 'RetireDevice → DeviceRetired' })
  retire(@Param('deviceId') deviceId: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.gateway.run(req, res, parseCommand('RetireDevice', { deviceId }, body));
  }

  @Post(':deviceId/hotpatches')
  @ApiOperation({ summary: 'ApplyHotpatch → HotpatchApplied (201) or HotpatchRejected (422 NOT_ELIGIBLE)' })
  @ApiBody({ schema: { example: { patchId: 'KB5052093', appliedAt: '2025-02-11T18:00:00Z' } } })
  apply(@Param('deviceId') deviceId: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.gateway.run(req, res, parseCommand('ApplyHotpatch', { deviceId }, body));
  }

  @Post(':deviceId/reboots')
  @ApiOperation({ summary: 'CommitOnReboot → DeviceRebooted' })
  reboot(@Param('deviceId') deviceId: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.gateway.run(req, res, parseCommand('CommitOnReboot', { deviceId }, body));
  }

  @Post(':deviceId/updates')
  @ApiOperation({ summary: 'StageUpdate (baseline, lcu or oob-lcu) → UpdateStaged' })
  stage(@Param('deviceId') deviceId: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.gateway.run(req, res, parseCommand('StageUpdate', { deviceId }, body));
  }

  @Post(':deviceId/hotpatches/:patchId/revert')
  @ApiOperation({ summary: 'RevertHotpatch → HotpatchReverted' })
  revert(
    @Param('deviceId') deviceId: string,
    @Param('patchId') patchId: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.gateway.run(req, res, parseCommand('RevertHotpatch', { deviceId, patchId }, body));
  }

  @Post(':deviceId/check-ins')
  @ApiOperation({ summary: 'CheckInDevice → DeviceCheckedIn: the build the device runs (a new build moves both planes)' })
  @ApiBody({ schema: { example: { build: '26100.7392', checkedInAt: '2025-12-10T08:00:00Z' } } })
  checkIn(@Param('deviceId') deviceId: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.gateway.run(req, res, parseCommand('CheckInDevice', { deviceId }, body));
  }

  @Post(':deviceId/failures')
  @ApiOperation({ summary: 'ReportHotpatchFailure → HotpatchFailed' })
  @ApiBody({ schema: { example: { patchId: 'KB5052093', errorCode: '0x800f0922' } } })
  fail(@Param('deviceId') deviceId: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.gateway.run(req, res, parseCommand('ReportHotpatchFailure', { deviceId }, body));
  }
}
