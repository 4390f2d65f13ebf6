export * from './database';
export * from './event-store';
export * from './hash-chain';
export * from './chain-verifier';
export * from './event-store.module';
export * from './transaction';
export * from './event-log';
export * from './outbox';
