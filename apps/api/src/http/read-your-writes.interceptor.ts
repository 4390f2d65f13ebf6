import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { Request } from 'express';
import { Observable, from, switchMap } from 'rxjs';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { ProjectionProgress } from '@patchstate/read-models';

/**
 * Any query accepts `?minPosition=N` (the position a command answered with) and waits, bounded, until the
 * read models have applied it; past the bound it answers 503 PROJECTION_BEHIND instead of stale data.
 */
@Injectable()
export class ReadYourWritesInterceptor implements NestInterceptor {
  constructor(
    private readonly progress: ProjectionProgress,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    const minPosition = request.method === 'GET' ? request.query.minPosition : undefined;
    if (minPosition === undefined) return next.handle();
    return from(this.progress.waitForMinPosition(minPosition, this.config.readYourWrites.maxWaitMs)).pipe(switchMap(() => next.handle()));
  }
}
