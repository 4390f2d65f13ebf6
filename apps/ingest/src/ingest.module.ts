import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@patchstate/config';
import { CommandHandlingModule } from '@patchstate/command-handling';
import { EventStoreModule } from '@patchstate/event-store';
import { IngestModule } from '@patchstate/ingest';

/**
 * The ingest tool's Nest context: configuration, the event store's pool and the api's command handling, so a
 * row imported from the command line is decided and appended exactly as one over REST or gRPC. No Kafka: the
 * api's outbox relay publishes what it appends.
 */
@Module({})
export class IngestCliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: IngestCliModule, imports: [ConfigModule.forRoot(config), EventStoreModule, CommandHandlingModule, IngestModule] };
  }
}
