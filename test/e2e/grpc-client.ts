import { join } from 'node:path';
import {
  Client,
  ClientReadableStream,
  Metadata,
  ServiceClientConstructor,
  ServiceError,
  credentials,
  loadPackageDefinition,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { loadPatchstateProtos } from '../../apps/api/src/grpc/grpc-server';
import { fromStruct } from '../../apps/api/src/grpc/struct-codec';

/**
 * How a typical Node client decodes: camelCase, int64 as strings, defaults filled in (absent message fields
 * become null, absent lists []), so answers line up with REST JSON.
 */
const CLIENT_LOADER_OPTIONS = { keepCase: false, longs: String, enums: String, defaults: true, arrays: true, objects: true, oneofs: false };

export interface UnaryResult<T = any> {
  reply: T;
  headers: Metadata;
}

/** A failed call as the client sees it: the status, its message, the trailing metadata. */
export interface GrpcFailure {
  code: number;
  details: string;
  metadata: Record<string, unknown>;
  errorCode: string | undefined;
  errorDetails: any;
}

type Services = 'DeviceCommands' | 'PatchCatalog' | 'DeviceQueries' | 'Audit';

/** Real @grpc/grpc-js clients for the patchstate services, health and reflection, on one channel address. */
export class PatchstateGrpcClient {
  readonly clients: Record<Services, Client & Record<string, any>>;
  readonly health: Client & Record<string, any>;
  readonly reflection: Client & Record<string, any>;

  constructor(
    readonly address: string,
    private apiKey: string,
  ) {
    const loaded = loadPackageDefinition(loadPatchstateProtos(CLIENT_LOADER_OPTIONS)) as any;
    const make = (ctor: ServiceClientConstructor) => new ctor(address, credentials.createInsecure()) as Client & Record<string, any>;
    this.clients = {
      DeviceCommands: make(loaded.patchstate.v1.DeviceCommands),
      PatchCatalog: make(loaded.patchstate.v1.PatchCatalog),
      DeviceQueries: make(loaded.patchstate.v1.DeviceQueries),
      Audit: make(loaded.patchstate.v1.Audit),
    };
    const health = loadPackageDefinition(loadSync(healthProtoPath, CLIENT_LOADER_OPTIONS)) as any;
    this.health = make(health.grpc.health.v1.Health);
    const reflectionProto = join(require.resolve('@grpc/reflection/package.json'), '..', 'build/proto/grpc/reflection/v1/reflection.proto');
    const reflection = loadPackageDefinition(loadSync(reflectionProto, CLIENT_LOADER_OPTIONS)) as any;
    this.reflection = make(reflection.grpc.reflection.v1.ServerReflection);
  }

  /** The same client speaking as another API key. */
  as(apiKey: string): PatchstateGrpcClient {
    return new PatchstateGrpcClient(this.address, apiKey);
  }

  metadata(extra: Record<string, string> = {}): Metadata {
    const metadata = new Metadata();
    if (this.apiKey !== '') metadata.set('authorization', `Bearer ${this.apiKey}`);
    for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
    return metadata;
  }

  call<T = any>(service: Services, method: string, request: object, extra: Record<string, string> = {}): Promise<UnaryResult<T>> {
    return new Promise((resolve, reject) => {
      let headers = new Metadata();
      const call = this.clients[service][method](request, this.metadata(extra), (error: ServiceError | null, reply: T) =>
        error ? reject(error) : resolve({ reply, headers }),
      );
      call.on('metadata', (received: Metadata) => {
        headers = received;
      });
    });
  }

  /** Resolves with the failure a call ends in; fails the test if the call succeeds. */
  async failure(service: Services, method: string, request: object, extra: Record<string, string> = {}): Promise<GrpcFailure> {
    try {
      const { reply } = await this.call(service, method, request, extra);
      throw new Error(`${service}.${method} succeeded: ${JSON.stringify(reply)}`);
    } catch (error) {
      if (!isServiceError(error)) throw error;
      return describeFailure(error);
    }
  }

  /** One server reflection request and its answer, as grpcurl asks; an error response rejects. */
  reflect(request: object): Promise<any> {
    return new Promise<any>((resolve, reject) => {
      const call = this.reflection.ServerReflectionInfo();
      call.on('data', (reply: any) => {
        call.end();
        if (reply.errorResponse) reject(new Error(reply.errorResponse.errorMessage));
        else resolve(reply);
      });
      call.on('error', reject);
      call.write(request);
    });
  }

  stream(service: 'Audit', method: string, request: object, extra: Record<string, string> = {}): ClientReadableStream<any> {
    return this.clients[service][method](request, this.metadata(extra));
  }

  close(): void {
    for (const client of [...Object.values(this.clients), this.health, this.reflection]) client.close();
  }
}

export function isServiceError(error: unknown): error is ServiceError {
  return typeof error === 'object' && error !== null && 'code' in error && 'metadata' in error;
}

export function describeFailure(error: ServiceError): GrpcFailure {
  const detailsBin = error.metadata.get('error-details-bin')[0];
  return {
    code: error.code,
    details: error.details,
    metadata: error.metadata.getMap(),
    errorCode: error.metadata.get('error-code')[0] as string | undefined,
    errorDetails: Buffer.isBuffer(detailsBin) ? JSON.parse(detailsBin.toString('utf8')) : undefined,
  };
}

/** Collects a whole server stream (for small selections); big ones are read incrementally by the tests. */
export function collect<T = any>(stream: ClientReadableStream<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    stream.on('data', (item: T) => items.push(item));
    stream.on('error', reject);
    stream.on('end', () => resolve(items));
  });
}

/** An AuditEvent message in the REST item's shape: Struct data as JSON, absent optionals as null. */
export function auditEventAsJson(message: any): Record<string, unknown> {
  const event = { ...message, data: fromStruct(message.data), causationId: message.causationId ?? null, prevHash: message.prevHash ?? null };
  delete event.resumeCursor;
  return event;
}

/** Drops null and undefined fields at every depth: REST says null where gRPC leaves a field out. */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

/**
 * An answer with the time it was judged at left out: two transports asked for "now" one after the other judge at
 * instants a few milliseconds apart, with the same data otherwise.
 */
export function withoutJudgedAt(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('judgedAt' in value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'judgedAt'));
}
