import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig, loadConfig } from '@patchstate/config';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { ProjectorModule } from '../../apps/projector/src/projector.module';
import { ProjectorService } from '../../apps/projector/src/projector.service';
import { OutboxRelayService } from '../../apps/api/src/outbox/outbox-relay.service';
import { createTestDatabase, uniqueName } from './test-database';

export interface TestStack {
  config: AppConfig;
  baseUrl: string;
  api: INestApplication;
  projector: INestApplication | null;
  projectorUrl(): string;
  relay(): OutboxRelayService;
  projectorService(): ProjectorService;
  startProjector(): Promise<void>;
  stopProjector(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The running service for an end-to-end test: its own database, its own topic and consumer group, the
 * API on a free port and the projector, all against the real Postgres and the real broker.
 */
export async function startTestStack(options: { projector?: boolean; env?: Record<string, string> } = {}): Promise<TestStack> {
  const database = await createTestDatabase();
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: database.url,
    KAFKA_TOPIC: uniqueName('patchstate.events.test'),
    KAFKA_PARTITIONS: '3',
    PROJECTOR_GROUP_ID: uniqueName('patchstate-projector-test'),
    OUTBOX_SAFETY_POLL_MS: '1000',
    ...options.env,
  });
  const api = await createApiApp(config, process.env.TEST_LOGS ? {} : { logger: false });
  await api.listen(0, '127.0.0.1');
  const address = api.getHttpServer().address() as { port: number };
  const stack: TestStack = {
    config,
    baseUrl: `http://127.0.0.1:${address.port}`,
    api,
    projector: null,
    relay: () => api.get(OutboxRelayService),
    projectorService: () => {
      if (!stack.projector) throw new Error('projector is not running');
      return stack.projector.get(ProjectorService);
    },
    projectorUrl: () => {
      if (!stack.projector) throw new Error('projector is not running');
      return `http://127.0.0.1:${(stack.projector.getHttpServer().address() as { port: number }).port}`;
    },
    startProjector: async () => {
      stack.projector = await NestFactory.create(ProjectorModule.forRoot(config), { logger: false });
      await stack.projector.listen(0, '127.0.0.1');
    },
    stopProjector: async () => {
      await stack.projector?.close();
      stack.projector = null;
    },
    close: async () => {
      await stack.stopProjector();
      await api.close();
      await database.drop();
    },
  };
  if (options.projector !== false) await stack.startProjector();
  return stack;
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
