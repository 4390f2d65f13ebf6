import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { openDatabase } from './database';
import { PostgresEventStore } from './event-store';

export const DATA_SOURCE = Symbol('DATA_SOURCE');

/** One Postgres pool per process; migrations run when it opens. */
@Global()
@Module({
  providers: [
    {
      provide: DATA_SOURCE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => openDatabase(config.databaseUrl),
    },
    { provide: PostgresEventStore, inject: [DATA_SOURCE], useFactory: (db: DataSource) => new PostgresEventStore(db) },
  ],
  exports: [DATA_SOURCE, PostgresEventStore],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(DATA_SOURCE) private readonly db: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.db.isInitialized) await this.db.destroy();
  }
}
