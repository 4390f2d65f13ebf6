import 'reflect-metadata';
import { ConfigError, loadConfig } from '@patchstate/config';
import { createApiApp } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApiApp(config);
  await app.listen(config.http.port, config.http.host);
  console.log(`patchstate api listening on http://${config.http.host}:${config.http.port} (docs at /docs, console at /console), Kafka ${config.kafka.brokers.join(',')}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
