import { Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { DATA_SOURCE } from '@patchstate/event-store';
import { ApiKeys } from './api-keys';
import { RateLimiter } from './rate-limiter';

@Global()
@Module({
  providers: [
    { provide: ApiKeys, inject: [DATA_SOURCE], useFactory: (db: DataSource) => new ApiKeys(db, { cache: true }) },
    { provide: RateLimiter, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new RateLimiter(config.auth.rateLimitPerMinute) },
  ],
  exports: [ApiKeys, RateLimiter],
})
export class AuthModule {}
