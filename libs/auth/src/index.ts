export * from './roles';
export * from './api-keys';
export * from './rate-limiter';
export * from './access';
export * from './auth.module';
