export * from './event-envelope';
export * from './ports';
export * from './kafka-client';
export * from './kafkajs-messaging-client';
export * from './outbox-relay';
export * from './messaging.module';
