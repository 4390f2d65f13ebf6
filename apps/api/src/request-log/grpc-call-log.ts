import { Principal } from '@patchstate/auth';
import { writeRequestLog } from './request-log';

interface MetadataLike {
  get(key: string): unknown[];
}

export interface GrpcCallInfo {
  path: string;
  metadata: MetadataLike;
}

/** The handler arguments of a gRPC call are (request, metadata, call): the call knows its path. */
export function grpcCallOf(args: unknown[]): GrpcCallInfo {
  const metadata = (args[1] ?? { get: () => [] }) as MetadataLike;
  const call = args[2] as { getPath?: () => string } | undefined;
  return { path: call?.getPath?.() ?? 'unknown', metadata };
}

export function writeGrpcCallLog(call: GrpcCallInfo, code: number, durationMs: number | null, principal: Principal | undefined): void {
  const correlationId = call.metadata.get('x-correlation-id')[0];
  writeRequestLog({
    transport: 'grpc',
    method: 'POST',
    path: call.path,
    status: code,
    durationMs,
    correlationId: typeof correlationId === 'string' ? correlationId : null,
    principal,
  });
}
