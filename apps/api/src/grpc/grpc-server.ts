import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { INestApplication, Logger } from '@nestjs/common';
import { ServerGrpc } from '@nestjs/microservices';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { PackageDefinition, loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { withLinkedFileDescriptors } from './reflection-descriptors';

export const GRPC_PACKAGE = 'patchstate.v1';
const SHUTDOWN_GRACE_MS = 5_000;
export const GRPC_SERVICES = ['DeviceCommands', 'PatchCatalog', 'DeviceQueries', 'Audit', 'FleetIngest'] as const;
/** What the health service reports on: the server as a whole ('') and each patchstate service. */
const HEALTH_SERVICE_NAMES = ['', ...GRPC_SERVICES.map((service) => `${GRPC_PACKAGE}.${service}`)];
export const PROTO_FILES = ['common.proto', 'fleet.proto', 'device_commands.proto', 'patch_catalog.proto', 'device_queries.proto', 'audit.proto', 'fleet_ingest.proto'].map(
  (file) => `patchstate/v1/${file}`,
);

/**
 * How requests are decoded: camelCase fields (the REST JSON names, so the same validators apply), 64-bit
 * integers as strings, and no defaults, so a field the client left out arrives as undefined.
 */
export const SERVER_LOADER_OPTIONS = { keepCase: false, longs: String, enums: String, defaults: false, arrays: false, oneofs: false };

/** The checked-in proto/ folder, found from here both in the sources and in the compiled dist/ tree. */
export function protoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, PROTO_FILES[1]))) return candidate;
    if (dirname(dir) === dir) throw new Error(`proto/${PROTO_FILES[1]} not found above ${__dirname}`);
  }
}

export function loadPatchstateProtos(options: object = SERVER_LOADER_OPTIONS): PackageDefinition {
  const root = protoRoot();
  return loadSync(PROTO_FILES.map((file) => join(root, file)), { ...options, includeDirs: [root] });
}

/**
 * The Nest gRPC transport, plus what grpcurl and orchestrators expect from a gRPC server: the health
 * checking protocol (grpc.health.v1.Health) and server reflection (v1 and v1alpha), so the services can be
 * listed, described and called without the proto files. It also remembers the port it bound, for port 0.
 */
export class PatchstateGrpcServer extends ServerGrpc {
  private readonly health = new HealthImplementation(
    Object.fromEntries(HEALTH_SERVICE_NAMES.map((name) => [name, 'NOT_SERVING' as const])),
  );
  private readonly address: string;
  private boundPort: number | null = null;
  private readonly log = new Logger('GrpcServer');

  constructor(grpc: { host: string; port: number }) {
    super({ package: GRPC_PACKAGE, packageDefinition: loadPatchstateProtos(), url: `${grpc.host}:${grpc.port}` });
    this.address = `${grpc.host}:${grpc.port}`;
  }

  /** The port the server listens on (the one the OS chose when configured with port 0). */
  port(): number {
    if (this.boundPort === null) throw new Error('the gRPC server is not listening');
    return this.boundPort;
  }

  /** Replaces the transport's own bind so that the chosen port is known, and adds health and reflection. */
  override async createClient(): Promise<Server> {
    const server = new Server();
    this.health.addToServer(server);
    // Reflection describes the protos as written (snake_case field names), not as the handlers decode them.
    const asWritten = { ...SERVER_LOADER_OPTIONS, keepCase: true };
    new ReflectionService(withLinkedFileDescriptors({ ...loadPatchstateProtos(asWritten), ...loadSync(healthProtoPath, asWritten) })).addToServer(
      server,
    );
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.address, ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
    return server;
  }

  override async listen(callback: (error?: unknown, ...optionalParams: unknown[]) => void): Promise<void> {
    await super.listen((error?: unknown, ...rest: unknown[]) => {
      if (!error) {
        for (const name of HEALTH_SERVICE_NAMES) this.health.setStatus(name, 'SERVING');
        this.log.log(`gRPC listening on ${this.address.replace(/:\d+$/, '')}:${this.boundPort} (health, reflection)`);
      }
      callback(error, ...rest);
    });
  }

  /**
   * Health turns NOT_SERVING first, so balancers stop sending calls; calls in flight get a grace period to
   * finish, then whatever still runs (a stream a client stopped reading) is cancelled.
   */
  override async close(): Promise<void> {
    for (const name of HEALTH_SERVICE_NAMES) this.health.setStatus(name, 'NOT_SERVING');
    const server = this.grpcClient as Server | null;
    if (server) {
      await new Promise<void>((resolve) => {
        const deadline = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(deadline);
          resolve();
        });
      });
    }
    await super.close();
  }
}

const serversByApp = new WeakMap<INestApplication, PatchstateGrpcServer>();

export function registerGrpcServer(app: INestApplication, server: PatchstateGrpcServer): void {
  serversByApp.set(app, server);
}

/** The gRPC port of a running API application (tests start it on port 0). */
export function grpcPortOf(app: INestApplication): number {
  const server = serversByApp.get(app);
  if (!server) throw new Error('this application has no gRPC server');
  return server.port();
}
