import { Principal } from '@patchstate/auth';

/**
 * One structured JSON line per call, REST or gRPC: who (the key's name and role, never the key), what, the
 * outcome and the correlation id that ties it to the events the call caused.
 */
export interface RequestLogLine {
  transport: 'http' | 'grpc';
  method: string;
  path: string;
  /** The HTTP status, or the gRPC status code. */
  status: number;
  durationMs: number | null;
  correlationId: string | null;
  principal: Principal | undefined;
}

export function writeRequestLog(line: RequestLogLine): void {
  const { principal, ...rest } = line;
  const failed = line.transport === 'http' ? line.status >= 500 : line.status === 13;
  process.stdout.write(
    `${JSON.stringify({
      time: new Date().toISOString(),
      level: failed ? 'error' : 'info',
      msg: 'request',
      ...rest,
      actor: principal?.name ?? null,
      role: principal?.role ?? null,
    })}\n`,
  );
}
