import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AppConfig, ConfigModule } from '@patchstate/config';
import { CommandHandlingModule } from '@patchstate/command-handling';
import { EventStoreModule } from '@patchstate/event-store';
import { MessagingModule } from '@patchstate/messaging';
import { DeviceCommandsController } from './commands/devices.controller';
import { PatchCommandsController } from './commands/patches.controller';
import { CommandGateway } from './http/command-gateway';
import { ErrorFilter } from './http/domain-error.filter';
import { OutboxRelayService } from './outbox/outbox-relay.service';
import { DeviceQueriesController } from './queries/device-queries.controller';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), EventStoreModule, MessagingModule, CommandHandlingModule],
      controllers: [DeviceCommandsController, PatchCommandsController, DeviceQueriesController],
      providers: [CommandGateway, OutboxRelayService, { provide: APP_FILTER, useClass: ErrorFilter }],
    };
  }
}
