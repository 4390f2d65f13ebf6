import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { principalOf } from '@patchstate/auth';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { grpcCallOf, writeGrpcCallLog } from './grpc-call-log';

/**
 * Logs gRPC calls that succeed; failed ones, refusals by the access guard included, are logged by the gRPC
 * error filter, which sees every error.
 */
@Injectable()
export class GrpcCallLogInterceptor implements NestInterceptor {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc' || !this.config.http.requestLog) return next.handle();
    const started = process.hrtime.bigint();
    const call = grpcCallOf(context.getArgs());
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      writeGrpcCallLog(call, 0, Number((process.hrtime.bigint() - started) / 1_000_000n), principalOf(call.metadata));
    };
    // A server stream succeeds when it completes; a unary call when its one answer is out.
    return next.handle().pipe(tap({ complete: done }));
  }
}
