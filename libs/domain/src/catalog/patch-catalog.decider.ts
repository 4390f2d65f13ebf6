import { DomainError } from '../shared/domain-error';
import { assertNever } from '../shared/messages';
import { PatchCatalogCommand, PatchCatalogEvent, PatchState } from './patch';

export function decidePatch(command: PatchCatalogCommand, state: PatchState): PatchCatalogEvent[] {
  switch (command.type) {
    case 'PublishPatch':
      if (state.status !== 'unpublished') {
        throw new DomainError('PATCH_EXISTS', `patch ${command.data.patchId} is already published`, {
          patchId: command.data.patchId,
        });
      }
      return [{ type: 'PatchPublished', data: command.data }];
    case 'RevokePatch':
      if (state.status === 'unpublished') {
        throw new DomainError('PATCH_NOT_FOUND', `patch ${command.data.patchId} is not in the catalog`, {
          patchId: command.data.patchId,
        });
      }
      if (state.status === 'revoked') {
        throw new DomainError('ALREADY_REVOKED', `patch ${command.data.patchId} was revoked at ${state.revokedAt}`, {
          patchId: command.data.patchId,
        });
      }
      return [
        {
          type: 'PatchRevoked',
          data: { patchId: command.data.patchId, reason: command.data.reason, revokedAt: command.metadata.occurredAt },
        },
      ];
    default:
      return assertNever(command);
  }
}

export function evolvePatch(state: PatchState, event: PatchCatalogEvent): PatchState {
  switch (event.type) {
    case 'PatchPublished':
      return { status: 'published', patch: event.data };
    case 'PatchRevoked':
      if (state.status === 'unpublished') return state;
      return { status: 'revoked', patch: state.patch, revokedAt: event.data.revokedAt, reason: event.data.reason };
    default:
      return assertNever(event);
  }
}
