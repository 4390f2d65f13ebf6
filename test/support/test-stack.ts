import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig, loadConfig } from '@patchstate/config';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { ProjectorModule } from '../../apps/projector/src/projector.module';
import { ProjectorService } from '../../apps/projector/src/projector.service';
import { OutboxRelayService } from '../../apps/api/src/outbox/outbox-relay.service';
import { ApiKeys, ROLES, Role, generateApiKey } from '@patchstate/auth';
import { DATA_SOURCE } from '@patchstate/event-store';
import { setDefaultHeaders } from './http-client';
import { createTestDatabase, uniqueName } from './test-database';

export interface TestStack {
  config: AppConfig;
  baseUrl: string;
  /** An API key per role (named `test-<role>`); http() sends the admin key to baseUrl by default. */
  keys: Record<Role, string>;
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
    REQUEST_LOG: 'false',
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    // Supplied, so the first start does not print a generated admin key into the test output.
    BOOTSTRAP_ADMIN_KEY: generateApiKey(),
    ...options.env,
  });
  const api = await createApiApp(config, process.env.TEST_LOGS ? {} : { logger: false });
  await api.listen(0, '127.0.0.1');
  const address = api.getHttpServer().address() as { port: number };
  const apiKeys = new ApiKeys(api.get(DATA_SOURCE));
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await apiKeys.create({ name: `test-${role}`, role, createdBy: 'test-stack' })).key;
  const baseUrl = `http://127.0.0.1:${address.port}`;
  setDefaultHeaders(baseUrl, { authorization: `Bearer ${keys.admin}` });
  const stack: TestStack = {
    config,
    baseUrl,
    keys,
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
