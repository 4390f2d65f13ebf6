import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@patchstate/config';
import { CommandHandlingModule } from '@patchstate/command-handling';
import { EventStoreModule } from '@patchstate/event-store';

/**
 * The catalog tool's Nest context: the configuration, the event store's pool and the CQRS command handling
 * the api runs, so an import from the command line is decided and appended exactly as one over REST or gRPC.
 * No Kafka: the api's outbox relay publishes the appended events.
 */
@Module({})
export class CatalogModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: CatalogModule, imports: [ConfigModule.forRoot(config), EventStoreModule, CommandHandlingModule] };
  }
}
