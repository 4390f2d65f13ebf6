import { Requires } from '@patchstate/auth';
import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import {
  parseApplyHotpatch,
  parseCheckIn,
  parseDeviceId,
  parseFailureReport,
  parsePatchId,
  parseProfileReport,
  parseReboot,
  parseRegisterDevice,
  parseRetire,
  parseRevert,
  parseStageUpdate,
} from '@patchstate/domain';
import { CommandGateway } from '../http/command-gateway';
import { parseTogether } from '../http/parse-together';
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
    const { registeredAt, ...data } = parseRegisterDevice(body);
    return this.gateway.run(req, res, { type: 'RegisterDevice', data }, registeredAt);
  }

  @Post(':deviceId/profile')
  @ApiOperation({ summary: 'ReportDeviceProfile → DeviceProfileReported' })
  @ApiBody({ schema: { example: { vbs: 'off' } } })
  reportProfile(@Param('deviceId') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const [deviceId, { changes, reportedAt }] = parseTogether(() => parseDeviceId(id), () => parseProfileReport(body));
    return this.gateway.run(req, res, { type: 'ReportDeviceProfile', data: { deviceId, changes } }, reportedAt);
  }

  @Post(':deviceId/retire')
  @ApiOperation({ summary: 'RetireDevice → DeviceRetired' })
  retire(@Param('deviceId') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const [deviceId, { reason, retiredAt }] = parseTogether(() => parseDeviceId(id), () => parseRetire(body));
    return this.gateway.run(req, res, { type: 'RetireDevice', data: { deviceId, reason } }, retiredAt);
  }

  @Post(':deviceId/hotpatches')
  @ApiOperation({ summary: 'ApplyHotpatch → HotpatchApplied (201) or HotpatchRejected (422 NOT_ELIGIBLE)' })
  @ApiBody({ schema: { example: { patchId: 'KB5052093', appliedAt: '2025-02-11T18:00:00Z' } } })
  apply(@Param('deviceId') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const [deviceId, { patchId, appliedAt }] = parseTogether(() => parseDeviceId(id), () => parseApplyHotpatch(body));
    return this.gateway.run(req, res, { type: 'ApplyHotpatch', data: { deviceId, patchId } }, appliedAt);
  }

  @Post(':deviceId/reboots')
  @ApiOperation({ summary: 'CommitOnReboot → DeviceRebooted' })
  reboot(@Param('deviceId') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const [deviceId, { bootId, rebootedAt }] = parseTogether(() => parseDeviceId(id), () => parseReboot(body));
    return this.gateway.run(req, res, { type: 'CommitOnReboot', data: { deviceId, bootId } }, rebootedAt);
  }

  @Post(':deviceId/updates')
  @ApiOperation({ summary: 'StageUpdate (baseline, lcu or oob-lcu) → UpdateStaged' })
  stage(@Param('deviceId') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const [deviceId, { patchId, stagedAt }] = parseTogether(() => parseDeviceId(id), () => parseStageUpdate(body));
    return this.gateway.run(req, res, { type: 'StageUpdate', data: { deviceId, patchId } }, stagedAt);
  }

  @Post(':deviceId/hotpatches/:patchId/revert')
  @ApiOperation({ summary: 'RevertHotpatch → HotpatchReverted' })
  revert(
    @Param('deviceId') id: string,
    @Param('patchId') patch: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const [deviceId, patchId, { revertedAt }] = parseTogether(
      () => parseDeviceId(id),
      () => parsePatchId(patch),
      () => parseRevert(body),
    );
    return this.gateway.run(req, res, { type: 'RevertHotpatch', data: { deviceId, patchId } }, revertedAt);
  }

  @Post(':deviceId/check-ins')
  @ApiOperation({ summary: 'CheckInDevice → DeviceCheckedIn: the build the device runs (a new build moves both planes)' })
  @ApiBody({ schema: { example: { build: '26100.7392', checkedInAt: '2025-12-10T08:00:00Z' } } })
  checkIn(@Param('deviceId') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const [deviceId, { build, checkedInAt }] = parseTogether(() => parseDeviceId(id), () => parseCheckIn(body));
    return this.gateway.run(req, res, { type: 'CheckInDevice', data: { deviceId, build } }, checkedInAt);
  }

  @Post(':deviceId/failures')
  @ApiOperation({ summary: 'ReportHotpatchFailure → HotpatchFailed' })
  @ApiBody({ schema: { example: { patchId: 'KB5052093', errorCode: '0x800f0922' } } })
  fail(@Param('deviceId') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const [deviceId, { patchId, errorCode, failedAt }] = parseTogether(() => parseDeviceId(id), () => parseFailureReport(body));
    return this.gateway.run(req, res, { type: 'ReportHotpatchFailure', data: { deviceId, patchId, errorCode } }, failedAt);
  }
}
