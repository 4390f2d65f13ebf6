import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { IngestWufbHandler } from './ingest-wufb';

/**
 * The WUfB import's handler on the CQRS bus. It sends device commands through the bus, so it needs the
 * command handling module (and the event store) beside it, as the api, the ingest CLI and tests provide.
 */
@Module({
  imports: [CqrsModule],
  providers: [IngestWufbHandler],
})
export class IngestModule {}
