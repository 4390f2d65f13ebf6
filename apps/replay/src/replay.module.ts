import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@patchstate/config';
import { EventStoreModule } from '@patchstate/event-store';
import { MessagingModule } from '@patchstate/messaging';

/**
 * The replay tool's Nest context: the same configuration, pool and Kafka client modules as the api and the
 * projector. Kafka is left out for commands that do not need it, so they work while the broker is down.
 */
@Module({})
export class ReplayModule {
  static forRoot(config: AppConfig, options: { kafka: boolean }): DynamicModule {
    return {
      module: ReplayModule,
      imports: [ConfigModule.forRoot(config), EventStoreModule, ...(options.kafka ? [MessagingModule] : [])],
    };
  }
}
