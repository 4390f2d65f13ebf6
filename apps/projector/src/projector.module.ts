import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@patchstate/config';
import { EventStoreModule } from '@patchstate/event-store';
import { MessagingModule } from '@patchstate/messaging';
import { ProjectorService } from './projector.service';

@Module({})
export class ProjectorModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ProjectorModule,
      imports: [ConfigModule.forRoot(config), EventStoreModule, MessagingModule],
      providers: [ProjectorService],
    };
  }
}
