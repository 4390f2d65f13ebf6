import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { createMessagingClient } from './kafkajs-messaging-client';
import { MessagingClient } from './ports';

export const KAFKA = Symbol('KAFKA');

/** The Kafka client (a MessagingClient), with the event topic created (and its leaders elected) before anyone uses it. */
@Global()
@Module({
  providers: [
    {
      provide: KAFKA,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<MessagingClient> => {
        const kafka = createMessagingClient(config.kafka.brokers, config.kafka.clientId);
        await kafka.ensureTopic(config.kafka.topic, config.kafka.partitions);
        return kafka;
      },
    },
  ],
  exports: [KAFKA],
})
export class MessagingModule {}
