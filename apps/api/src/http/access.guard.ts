import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Request } from 'express';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { DomainError } from '@patchstate/domain';
import { ApiKeys, PUBLIC_ENDPOINT, Permission, REQUIRED_PERMISSION, RateLimiter, attachPrincipal, roleMay } from '@patchstate/auth';

interface MetadataLike {
  get(key: string): unknown[];
}

/**
 * Every call, REST or gRPC, presents an API key (`Authorization: Bearer <key>`, the same in gRPC metadata).
 * The key's role must grant the endpoint's permission; endpoints that declare none are refused. A refused
 * call never reaches a handler, so it appends nothing.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeys,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.config.auth.openProbes && this.reflector.getAllAndOverride<boolean>(PUBLIC_ENDPOINT, targets)) return true;
    const { carrier, authorization } = this.credentials(context);
    const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!presented) throw new DomainError('UNAUTHENTICATED', 'send an API key as "Authorization: Bearer <key>"');
    const principal = await this.keys.authenticate(presented);
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'the API key is unknown or revoked');
    const retryAfterSeconds = this.limiter.take(principal.keyId);
    if (retryAfterSeconds > 0) {
      throw new DomainError('RATE_LIMITED', `too many requests for key ${principal.name}`, { retryAfterSeconds });
    }
    attachPrincipal(carrier, principal);
    const required = this.reflector.getAllAndOverride<Permission | undefined>(REQUIRED_PERMISSION, targets);
    // An endpoint that declares no permission is for admins only: forgetting a declaration fails closed.
    if (!roleMay(principal.role, required ?? 'admin')) {
      throw new DomainError('PERMISSION_DENIED', `role ${principal.role} may not use ${required ?? 'admin'} endpoints`, {
        role: principal.role,
        required: required ?? null,
      });
    }
    return true;
  }

  private credentials(context: ExecutionContext): { carrier: object; authorization: string | undefined } {
    if (context.getType() === 'rpc') {
      const metadata = context.switchToRpc().getContext<MetadataLike>();
      const value = metadata.get('authorization')[0];
      return { carrier: metadata, authorization: typeof value === 'string' ? value : undefined };
    }
    const request = context.switchToHttp().getRequest<Request>();
    return { carrier: request, authorization: request.header('authorization') };
  }
}
