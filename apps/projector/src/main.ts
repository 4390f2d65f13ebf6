import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '@patchstate/config';
import { ProjectorModule } from './projector.module';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(ProjectorModule.forRoot(config));
  app.enableShutdownHooks();
  console.log(`patchstate projector consuming ${config.kafka.topic} as group ${config.kafka.projectorGroupId}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
