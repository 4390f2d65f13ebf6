import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CommandExecutor } from './command-executor';
import { COMMAND_HANDLERS } from './command-handlers';
import { ImportCatalogHandler } from './import-catalog';

@Module({
  imports: [CqrsModule],
  providers: [CommandExecutor, ...COMMAND_HANDLERS, ImportCatalogHandler],
  exports: [CqrsModule],
})
export class CommandHandlingModule {}
