import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Request, Response } from 'express';
import { principalOf } from '@patchstate/auth';
import { Actor, CommandMetadata, DomainError, ValidationError } from '@patchstate/domain';
import { AnyCommand, CommandResult, ExecuteCommand, ExecutionOptions } from '@patchstate/command-handling';
import { canonicalJson, sha256 } from '@patchstate/event-store';

type Untimed<C extends AnyCommand> = C extends AnyCommand ? Omit<C, 'metadata'> : never;

/**
 * Turns an HTTP request into a command envelope: ids, the clock and the actor come from here, never from
 * the domain. Idempotency-Key, If-Match and X-Correlation-Id travel as headers.
 */
@Injectable()
export class CommandGateway {
  constructor(private readonly bus: CommandBus) {}

  async run(request: Request, response: Response, command: Untimed<AnyCommand>, occurredAt?: string): Promise<unknown> {
    const recordedAt = new Date().toISOString();
    const metadata: CommandMetadata = {
      commandId: randomUUID(),
      occurredAt: occurredAt ?? recordedAt,
      recordedAt,
      actor: actorOf(request),
      correlationId: correlationIdOf(request),
      causationId: null,
    };
    const options = executionOptions(request);
    const result = await this.bus.execute<ExecuteCommand, CommandResult>(
      new ExecuteCommand({ ...command, metadata } as AnyCommand, options),
    );
    const body = result.response.body as { version?: number; position?: string; details?: { version?: number; position?: string } };
    const version = body.version ?? body.details?.version;
    const position = body.position ?? body.details?.position;
    response.status(result.response.statusCode);
    if (version !== undefined) response.setHeader('ETag', `"${version}"`);
    if (position !== undefined) response.setHeader('X-Position', position);
    response.setHeader('X-Correlation-Id', metadata.correlationId);
    if (result.replayed) response.setHeader('Idempotent-Replayed', 'true');
    return result.response.body;
  }
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,255}$/;

function correlationIdOf(request: Request): string {
  const header = request.header('x-correlation-id');
  if (header === undefined) return randomUUID();
  if (!CORRELATION_ID.test(header)) {
    throw new ValidationError([{ field: 'X-Correlation-Id', message: 'must be 1-128 letters, digits or . _ : -' }]);
  }
  return header;
}

/** The actor is the authenticated key (its name and role); a client cannot choose it. */
function actorOf(request: Request): Actor {
  const principal = principalOf(request);
  if (!principal) throw new DomainError('UNAUTHENTICATED', 'no authenticated caller');
  return { id: principal.name, role: principal.role };
}

function executionOptions(request: Request): ExecutionOptions {
  const options: ExecutionOptions = {};
  const ifMatch = request.header('if-match');
  if (ifMatch !== undefined) {
    const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(ifMatch.trim());
    if (!match) throw new ValidationError([{ field: 'If-Match', message: 'must be a stream version such as "3"' }]);
    options.expectedVersion = Number(match[1]);
  }
  const key = request.header('idempotency-key');
  if (key !== undefined) {
    if (!IDEMPOTENCY_KEY.test(key)) {
      throw new ValidationError([{ field: 'Idempotency-Key', message: 'must be 1-255 letters, digits or . _ : -' }]);
    }
    options.idempotency = { key, requestHash: sha256(`${request.method} ${request.path} ${canonicalJson(request.body ?? {})}`) };
  }
  return options;
}
