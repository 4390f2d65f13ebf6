import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { principalOf } from '@patchstate/auth';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { writeRequestLog } from './request-log';

/** Logs every HTTP request when it finishes, refusals included. */
@Injectable()
export class RequestLogMiddleware implements NestMiddleware {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  use(request: Request, response: Response, next: NextFunction): void {
    if (!this.config.http.requestLog) return next();
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const correlationId = response.getHeader('x-correlation-id') ?? request.header('x-correlation-id') ?? null;
      writeRequestLog({
        transport: 'http',
        method: request.method,
        path: request.path,
        status: response.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n),
        correlationId: correlationId === null ? null : String(correlationId),
        principal: principalOf(request),
      });
    });
    next();
  }
}
