export * from './event-envelope';
export * from './kafka-client';
export * from './outbox-relay';
export * from './messaging.module';
