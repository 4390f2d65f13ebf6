import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { NextFunction, Request, Response } from 'express';
import { principalOf } from '@patchstate/auth';

/**
 * One structured JSON line per request: who (the key's name and role, never the key), what, the outcome and
 * the correlation id that ties it to the events it caused.
 */
@Injectable()
export class RequestLogMiddleware implements NestMiddleware {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  use(request: Request, response: Response, next: NextFunction): void {
    if (!this.config.http.requestLog) return next();
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const principal = principalOf(request);
      const line = {
        time: new Date().toISOString(),
        level: response.statusCode >= 500 ? 'error' : 'info',
        msg: 'request',
        method: request.method,
        path: request.path,
        status: response.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n),
        correlationId: response.getHeader('x-correlation-id') ?? request.header('x-correlation-id') ?? null,
        actor: principal?.name ?? null,
        role: principal?.role ?? null,
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    });
    next();
  }
}
