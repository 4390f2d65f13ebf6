import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Request, Response } from 'express';
import { principalOf } from '@patchstate/auth';
import { DomainError } from '@patchstate/domain';
import { BusCommand, CommandResult, outcomePosition } from '@patchstate/command-handling';
import { canonicalJson, sha256 } from '@patchstate/event-store';
import { commandEnvelope } from '../command-envelope/command-envelope';
import { ParsedCommand } from '../command-envelope/command-table';
import { httpAnswer } from './http-outcome';
import { PROBLEM_JSON, problemBody, problemInstance } from './problem-details';

const HEADER_NAMES = { correlationId: 'X-Correlation-Id', expectedVersion: 'If-Match', idempotencyKey: 'Idempotency-Key' };

/**
 * Turns an HTTP request into the command envelope (shared with gRPC): the actor is the authenticated key;
 * Idempotency-Key, If-Match and X-Correlation-Id travel as headers. Answers carry ETag and X-Position.
 */
@Injectable()
export class CommandGateway {
  constructor(private readonly bus: CommandBus) {}

  async run(request: Request, response: Response, { command, occurredAt }: ParsedCommand): Promise<unknown> {
    const principal = principalOf(request);
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'no authenticated caller');
    const { execute, metadata } = commandEnvelope(
      command,
      {
        actor: { id: principal.name, role: principal.role },
        correlationId: request.header('x-correlation-id'),
        expectedVersion: request.header('if-match'),
        idempotencyKey: request.header('idempotency-key'),
        requestFingerprint: () => sha256(`${request.method} ${request.path} ${canonicalJson(request.body ?? {})}`),
      },
      HEADER_NAMES,
      occurredAt,
    );
    const { outcome, replayed } = await this.bus.execute<BusCommand, CommandResult>(execute);
    const { status, body } = httpAnswer(outcome);
    const position = outcomePosition(outcome);
    response.status(status);
    response.setHeader('ETag', `"${outcome.version}"`);
    if (position !== undefined) response.setHeader('X-Position', position);
    response.setHeader('X-Correlation-Id', metadata.correlationId);
    if (replayed) response.setHeader('Idempotent-Replayed', 'true');
    if (outcome.kind !== 'rejected') return body;
    // A recorded refusal (422 NOT_ELIGIBLE) is an error to the client: the same problem details as a thrown one.
    const refusal = body as { code: string; message: string; details: unknown };
    response.type(PROBLEM_JSON);
    return problemBody(status, refusal.code, refusal.message, refusal.details, problemInstance(request));
  }
}
