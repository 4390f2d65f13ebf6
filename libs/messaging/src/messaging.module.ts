import { Global, Module } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { createKafka, ensureTopic } from './kafka-client';

export const KAFKA = Symbol('KAFKA');

/** The Kafka client, with the event topic created (and its leaders elected) before anyone uses it. */
@Global()
@Module({
  providers: [
    {
      provide: KAFKA,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<Kafka> => {
        const kafka = createKafka(config.kafka.brokers, config.kafka.clientId);
        await ensureTopic(kafka, config.kafka.topic, config.kafka.partitions);
        return kafka;
      },
    },
  ],
  exports: [KAFKA],
})
export class MessagingModule {}
