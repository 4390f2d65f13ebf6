import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json } from 'express';
import { CustomStrategy } from '@nestjs/microservices';
import { AppConfig } from '@patchstate/config';
import { ApiModule } from './api.module';
import { CATALOG_IMPORTS_PATH } from './commands/catalog-imports.controller';
import { WUFB_INGEST_BODY_LIMIT, WUFB_INGEST_PATH } from './ingest/wufb-ingest.controller';
import { GrpcLifecycle } from './grpc/grpc-lifecycle';
import { PatchstateGrpcServer, registerGrpcServer } from './grpc/grpc-server';
import { CONSOLE_PATH, consoleAssets } from './console/console-assets';

export { grpcPortOf } from './grpc/grpc-server';

/**
 * Builds the API application, REST and gRPC; main.ts and the e2e tests both start it through here.
 * `init()` (so `listen()`) starts the gRPC server (config.grpc) before the HTTP one; `grpcPortOf(app)` tells its port.
 */
export async function createApiApp(config: AppConfig, options: { logger?: false } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bodyParser: false,
    ...(options.logger === false ? { logger: false } : {}),
  });
  // A release file is larger than a command: its route parses first, with the larger of the two limits.
  app.use(CATALOG_IMPORTS_PATH, json({ limit: largerLimit(config.http.bodyLimit, CATALOG_IMPORT_BODY_LIMIT), strict: false }));
  app.use(WUFB_INGEST_PATH, json({ limit: largerLimit(config.http.bodyLimit, WUFB_INGEST_BODY_LIMIT), strict: false }));
  app.useBodyParser('json', { limit: config.http.bodyLimit, strict: false });
  app.use(CONSOLE_PATH, ...consoleAssets());
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('patchstate')
      .setDescription(
        'Auditable history of Windows hotpatching: commands, device state, audit.\n\n' +
          '**Authentication**: every call except /health and /metrics needs an API key: `Authorization: Bearer psk_...`. ' +
          'The first start creates an admin key and prints it once (or uses BOOTSTRAP_ADMIN_KEY). Create keys with ' +
          '`npm run keys -- create --role <device-agent|operator|auditor|admin> --name <name>`. Roles: device-agent (device ' +
          'commands), operator (all commands and queries), auditor (queries and audit), admin (everything, plus keys, replay, ' +
          'dead letters). The key\'s name and role are recorded as the actor of every event it causes.',
      )
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API key, psk_<id>_<secret>' })
      .addSecurityRequirements('bearer')
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  connectGrpc(app, config);
  return app;
}

/** The body limit of POST /v1/catalog/imports, unless HTTP_BODY_LIMIT is larger: the real release data is ~40kb. */
export const CATALOG_IMPORT_BODY_LIMIT = '1mb';

const BYTES_PER_UNIT: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** The larger of two limits written as config accepts them (`64kb`, `1mb`). */
function largerLimit(a: string, b: string): string {
  const bytes = (limit: string) => {
    const [, amount, unit] = /^(\d+)(b|kb|mb)$/.exec(limit) ?? ['', '0', 'b'];
    return Number(amount) * BYTES_PER_UNIT[unit];
  };
  return bytes(a) >= bytes(b) ? a : b;
}

/**
 * The gRPC transport shares the application: same module, same command handlers and query classes, and
 * (inheritAppConfig) the same global guard, so access control is one policy for both transports.
 */
function connectGrpc(app: INestApplication, config: AppConfig): void {
  const server = new PatchstateGrpcServer(config.grpc);
  const transport = app.connectMicroservice<CustomStrategy>({ strategy: server }, { inheritAppConfig: true });
  app.get(GrpcLifecycle).startWithApplication(transport);
  registerGrpcServer(app, server);
}
