import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuthModule } from '@patchstate/auth';
import { AppConfig, ConfigModule } from '@patchstate/config';
import { CommandHandlingModule } from '@patchstate/command-handling';
import { EventStoreModule } from '@patchstate/event-store';
import { IngestModule } from '@patchstate/ingest';
import { MessagingModule } from '@patchstate/messaging';
import { ReadModelQueriesModule } from '@patchstate/read-models';
import { DeviceCommandsController } from './commands/devices.controller';
import { PatchCommandsController } from './commands/patches.controller';
import { CatalogImportsController } from './commands/catalog-imports.controller';
import { WufbIngestController } from './ingest/wufb-ingest.controller';
import { CommandGateway } from './http/command-gateway';
import { ErrorFilter } from './http/domain-error.filter';
import { OutboxRelayService } from './outbox/outbox-relay.service';
import { DeviceQueriesController } from './queries/device-queries.controller';
import { FleetQueriesController } from './queries/fleet-queries.controller';
import { ReadYourWritesInterceptor } from './http/read-your-writes.interceptor';
import { ApiMetricsController } from './metrics/api-metrics.controller';
import { AuditController } from './audit/audit.controller';
import { GrpcApiModule } from './grpc/grpc-api.module';
import { AccessGuard } from './http/access.guard';
import { DeadLettersController } from './admin/dead-letters.controller';
import { AdminKeyBootstrap } from './http/admin-key-bootstrap';
import { RequestLogMiddleware } from './request-log/request-log.middleware';
import { GrpcCallLogInterceptor } from './request-log/grpc-call-log.interceptor';
import { SessionController } from './console/session.controller';
import { FleetHistoryController } from './queries/fleet-history.controller';

@Module({})
export class ApiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestLogMiddleware).forRoutes('*');
  }

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), EventStoreModule, MessagingModule, CommandHandlingModule, IngestModule, ReadModelQueriesModule, AuthModule, GrpcApiModule],
      controllers: [DeviceCommandsController, PatchCommandsController, CatalogImportsController, WufbIngestController, DeviceQueriesController, FleetQueriesController, ApiMetricsController, AuditController, DeadLettersController, SessionController, FleetHistoryController],
      providers: [
        CommandGateway,
        OutboxRelayService,
        AdminKeyBootstrap,
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_INTERCEPTOR, useClass: ReadYourWritesInterceptor },
        { provide: APP_INTERCEPTOR, useClass: GrpcCallLogInterceptor },
      ],
    };
  }
}
