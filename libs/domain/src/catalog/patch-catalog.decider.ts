import { DomainError } from '../shared/domain-error';
import { Command, assertNever } from '../shared/messages';
import { PatchCatalogCommand, PatchCatalogEvent, PatchDefinition, PatchFieldChange, PatchState } from './patch';

export function decidePatch(command: PatchCatalogCommand, state: PatchState): PatchCatalogEvent[] {
  switch (command.type) {
    case 'PublishPatch':
      if (state.status !== 'unpublished') {
        throw new DomainError('PATCH_EXISTS', `patch ${command.data.patchId} is already published`, {
          patchId: command.data.patchId,
        });
      }
      return [{ type: 'PatchPublished', data: command.data }];
    case 'ImportRelease':
      return importRelease(command, state);
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

/**
 * An import says what a release is: a new release is published, the same one again changes nothing, and a
 * changed one is amended field by field, so the log shows who corrected what and when.
 */
function importRelease(command: Command<'ImportRelease', PatchDefinition>, state: PatchState): PatchCatalogEvent[] {
  if (state.status === 'unpublished') return [{ type: 'PatchPublished', data: command.data }];
  const changes = changedFields(state.patch, command.data);
  if (changes.length === 0) return [];
  return [
    {
      type: 'PatchAmended',
      data: { patchId: command.data.patchId, changes, definition: command.data, amendedAt: command.metadata.occurredAt },
    },
  ];
}

export function changedFields(before: PatchDefinition, after: PatchDefinition): PatchFieldChange[] {
  const fields = Object.keys(after) as (keyof PatchDefinition)[];
  return fields
    .filter((field) => canonical(before[field]) !== canonical(after[field]))
    .map((field) => ({ field, from: before[field] ?? null, to: after[field] }));
}

/** Key order and list order carry no meaning in a definition: compare sorted. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return JSON.stringify([...value].map(canonical).sort());
  if (value !== null && typeof value === 'object') {
    return JSON.stringify(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
  }
  return JSON.stringify(value ?? null);
}

export function evolvePatch(state: PatchState, event: PatchCatalogEvent): PatchState {
  switch (event.type) {
    case 'PatchPublished':
      return { status: 'published', patch: event.data };
    case 'PatchAmended':
      if (state.status === 'unpublished') return state;
      return { ...state, patch: event.data.definition };
    case 'PatchRevoked':
      if (state.status === 'unpublished') return state;
      return { status: 'revoked', patch: state.patch, revokedAt: event.data.revokedAt, reason: event.data.reason };
    default:
      return assertNever(event);
  }
}
