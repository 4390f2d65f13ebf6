import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { DomainError, parseDeviceId } from '@patchstate/domain';
import { DATA_SOURCE } from '@patchstate/event-store';
import { DeviceQueries } from '@patchstate/read-models';

@ApiTags('device queries')
@Controller('v1/devices')
export class DeviceQueriesController {
  private readonly queries: DeviceQueries;

  constructor(@Inject(DATA_SOURCE) db: DataSource) {
    this.queries = new DeviceQueries(db);
  }

  @Get(':deviceId')
  async device(@Param('deviceId') id: string) {
    const deviceId = parseDeviceId(id);
    const device = await this.queries.findDevice(deviceId);
    if (!device) throw new DomainError('DEVICE_NOT_FOUND', `device ${deviceId} is not known to the read model`, { deviceId });
    return device;
  }
}
