import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@patchstate/config';
import { EventStoreModule } from '@patchstate/event-store';
import { MessagingModule } from '@patchstate/messaging';
import { ProjectorMetricsController } from './metrics/projector-metrics.controller';
import { ProjectorService } from './projector.service';

@Module({})
export class ProjectorModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ProjectorModule,
      imports: [ConfigModule.forRoot(config), EventStoreModule, MessagingModule],
      controllers: [ProjectorMetricsController],
      providers: [ProjectorService],
    };
  }
}
