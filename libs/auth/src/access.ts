import { SetMetadata } from '@nestjs/common';
import { Permission, Principal } from './roles';

export const REQUIRED_PERMISSION = 'patchstate:required-permission';
export const PUBLIC_ENDPOINT = 'patchstate:public-endpoint';

/** The permission a controller or handler needs. Endpoints without one are refused: access is deny-by-default. */
export const Requires = (permission: Permission) => SetMetadata(REQUIRED_PERMISSION, permission);

/** Probes (health, metrics) that stay open when configured so; nothing else should be public. */
export const Probe = () => SetMetadata(PUBLIC_ENDPOINT, true);

const principals = new WeakMap<object, Principal>();

/** Remembers who made a call, on the transport's own request object (an HTTP request, gRPC metadata). */
export function attachPrincipal(carrier: object, principal: Principal): void {
  principals.set(carrier, principal);
}

export function principalOf(carrier: object): Principal | undefined {
  return principals.get(carrier);
}
