import { PatchCatalogEvent, patchStreamId } from '@patchstate/domain';
import { APRIL_2025_BASELINE, FEBRUARY_2025_HOTPATCH, publishPatch, revokePatch } from '../../../test/builders';
import { givenPatch } from './given.helper.spec';

const PUBLISHED: PatchCatalogEvent = { type: 'PatchPublished', data: FEBRUARY_2025_HOTPATCH };
const REVOKED: PatchCatalogEvent = {
  type: 'PatchRevoked',
  data: { patchId: 'KB5052093', reason: 'known issue: boot loop on some devices', revokedAt: '2025-02-14T10:00:00Z' },
};

describe('PublishPatch', () => {
  it('publishes the definition as given', () => {
    const state = givenPatch([]).when(publishPatch(FEBRUARY_2025_HOTPATCH)).then([{ type: 'PatchPublished', data: FEBRUARY_2025_HOTPATCH }]);
    expect(state).toEqual({ status: 'published', patch: FEBRUARY_2025_HOTPATCH });
  });

  it('refuses a patch already published (PATCH_EXISTS)', () => {
    const error = givenPatch([PUBLISHED]).when(publishPatch(FEBRUARY_2025_HOTPATCH)).thenThrows('PATCH_EXISTS');
    expect(error.details).toEqual({ patchId: 'KB5052093' });
  });

  it('refuses to publish a revoked patch again (PATCH_EXISTS)', () => {
    givenPatch([PUBLISHED, REVOKED]).when(publishPatch(FEBRUARY_2025_HOTPATCH)).thenThrows('PATCH_EXISTS');
  });
});

describe('RevokePatch', () => {
  it('revokes a published patch with its reason, at the time the command occurred', () => {
    const at = '2025-02-14T10:00:00Z';
    const state = givenPatch([PUBLISHED])
      .when(revokePatch(FEBRUARY_2025_HOTPATCH, { at, reason: 'known issue: boot loop on some devices' }))
      .then([REVOKED]);
    expect(state).toEqual({ status: 'revoked', patch: FEBRUARY_2025_HOTPATCH, revokedAt: at, reason: 'known issue: boot loop on some devices' });
  });

  it('refuses a patch revoked already (ALREADY_REVOKED)', () => {
    givenPatch([PUBLISHED, REVOKED]).when(revokePatch(FEBRUARY_2025_HOTPATCH)).thenThrows('ALREADY_REVOKED');
  });

  it('refuses a patch the catalog does not have (PATCH_NOT_FOUND)', () => {
    givenPatch([]).when(revokePatch(APRIL_2025_BASELINE)).thenThrows('PATCH_NOT_FOUND');
  });
});

describe('evolvePatch', () => {
  it('ignores a revocation of a patch it never saw published: history is never refused', () => {
    expect(givenPatch([REVOKED]).state).toEqual({ status: 'unpublished' });
  });

  it('names the stream of a patch after its KB number', () => {
    expect(patchStreamId('KB5052093')).toBe('patch-KB5052093');
  });
});
