import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ExecuteCommandHandler } from './execute-command';
import { ImportCatalogHandler } from './import-catalog';

@Module({
  imports: [CqrsModule],
  providers: [ExecuteCommandHandler, ImportCatalogHandler],
  exports: [CqrsModule],
})
export class CommandHandlingModule {}
