import { CommandBus } from '@nestjs/cqrs';
import { Principal } from '@patchstate/auth';
import { DomainError, FieldError, ValidationError } from '@patchstate/domain';
import { ExportSource, IngestSummary, IngestWufb } from '@patchstate/ingest';
import { correlationIdOf } from '../command-envelope/command-envelope';

/** Who imports and how the transport names the correlation id, so an error points at what the caller can fix. */
export interface IngestCaller {
  principal: Principal | undefined;
  correlationId: string | undefined;
  correlationField: string;
}

const FILE_NAME = /^[\w.() -]{1,128}$/;

/** `{ name?, content }`: one export as its text; the name is recorded in every event's cause. */
function exportOf(value: unknown, field: string, defaultName: string, errors: FieldError[]): ExportSource | null {
  if (value === undefined || value === null) return null;
  const file = value as { name?: unknown; content?: unknown };
  if (typeof value !== 'object' || typeof file.content !== 'string') {
    errors.push({ field: `${field}.content`, message: "must be the export's text (CSV or JSON)" });
    return null;
  }
  if (file.name !== undefined && (typeof file.name !== 'string' || !FILE_NAME.test(file.name))) {
    errors.push({ field: `${field}.name`, message: 'must be a file name (letters, digits, . _ - ( ) and spaces, at most 128)' });
    return null;
  }
  const content = file.content;
  return { name: (file.name as string | undefined) ?? defaultName, chunks: () => [content] };
}

/**
 * A WUfB import as REST and gRPC run it: `{ clients: { name?, content }, updateStatus?: { name?, content } }`. The
 * request is checked, then IngestWufb imports row by row; bad rows are reported in the summary, not refused whole.
 */
export async function ingestWufb(bus: CommandBus, caller: IngestCaller, request: unknown): Promise<IngestSummary> {
  if (!caller.principal) throw new DomainError('UNAUTHENTICATED', 'no authenticated caller');
  const correlationId = correlationIdOf(caller.correlationId, caller.correlationField);
  const body = (request ?? {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (typeof request !== 'object' || request === null || Array.isArray(request)) errors.push({ field: 'body', message: 'must be an object' });
  for (const key of Object.keys(body)) {
    if (!['clients', 'updateStatus'].includes(key)) errors.push({ field: key, message: 'is not a known field' });
  }
  const clients = exportOf(body.clients, 'clients', 'UCClient', errors);
  const updateStatus = exportOf(body.updateStatus, 'updateStatus', 'UCClientUpdateStatus', errors);
  if (clients === null && errors.length === 0) errors.push({ field: 'clients', message: 'is required (the UCClient export)' });
  if (errors.length > 0 || clients === null) throw new ValidationError(errors);
  const actor = { id: caller.principal.name, role: caller.principal.role };
  return bus.execute<IngestWufb, IngestSummary>(new IngestWufb(clients, updateStatus, { actor, correlationId }));
}
