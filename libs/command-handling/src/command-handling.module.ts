import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ExecuteCommandHandler } from './execute-command';

@Module({
  imports: [CqrsModule],
  providers: [ExecuteCommandHandler],
  exports: [CqrsModule],
})
export class CommandHandlingModule {}
