import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '@patchstate/config';
import { ProjectorModule } from './projector.module';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(ProjectorModule.forRoot(config));
  app.enableShutdownHooks();
  await app.listen(config.projector.httpPort, config.http.host);
  console.log(
    `patchstate projector consuming ${config.kafka.topic} as group ${config.kafka.projectorGroupId}; metrics on http://${config.http.host}:${config.projector.httpPort}/metrics`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
