import { Controller, Get, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Request } from 'express';
import { DomainError } from '@patchstate/domain';
import { ROLE_PERMISSIONS, Requires, principalOf } from '@patchstate/auth';
import { ApiQueryResponses } from '../http/api-docs';

/**
 * Who the presented key is: the console signs in with it, and shows command buttons only for the permissions the
 * role has (the API refuses the rest anyway; hiding them spares the person a button that can only fail).
 * Requires `queries` because a console without them could show nothing: a device-agent key is refused here.
 */
@ApiTags('session')
@Requires('queries')
@ApiQueryResponses()
@Controller('v1/session')
export class SessionController {
  @Get()
  @ApiOperation({ summary: 'The API key presented: its name, role and what the role may do' })
  session(@Req() req: Request) {
    const principal = principalOf(req);
    // The guard attached it before any handler runs; its absence is a bug, not the caller's fault.
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'send an API key as "Authorization: Bearer <key>"');
    return { name: principal.name, role: principal.role, permissions: ROLE_PERMISSIONS[principal.role] };
  }
}
