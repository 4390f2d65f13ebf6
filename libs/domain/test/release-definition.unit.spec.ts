import { PatchDefinition, ValidationError, parsePatchDefinition } from '@patchstate/domain';
import { domainErrorOf, invalidFieldsOf } from './given.helper.spec';
import { REAL_RELEASES, realRelease } from './real-releases.helper.spec';

/** parsePatchDefinition on the release shape: builds per OS version, the baseline by KB, five kinds. */

/** A release as a client posts it: everything but `baselineBuilds`, which only version-1 events carry. */
function wireFormOf(release: PatchDefinition): Record<string, unknown> {
  return Object.fromEntries(Object.entries(release).filter(([field]) => field !== 'baselineBuilds'));
}

const messageFor = (input: Record<string, unknown>, field: string) =>
  (domainErrorOf(() => parsePatchDefinition(input)) as ValidationError).fieldErrors.find((e) => e.field === field)?.message;

describe('parsePatchDefinition, the release shape', () => {
  it.each(REAL_RELEASES.map((release) => [release.patchId, release] as const))('accepts the real release %s as it is', (_kb, release) => {
    expect(parsePatchDefinition(wireFormOf(release))).toEqual(release);
  });

  it('accepts one KB with a build for 24H2 and one for 25H2', () => {
    expect(parsePatchDefinition(wireFormOf(realRelease('KB5072014'))).builds).toEqual({ '24H2': '26100.7392', '25H2': '26200.7392' });
  });

  it('requires builds and products, and names the missing ones', () => {
    const input = { ...wireFormOf(realRelease('KB5074109')), builds: undefined, products: undefined };
    expect(invalidFieldsOf(() => parsePatchDefinition(input))).toEqual(['products', 'builds']);
  });

  it('refuses a build on the wrong line for its OS version, and an OS version it does not know', () => {
    const input = { ...wireFormOf(realRelease('KB5074109')), builds: { '24H2': '26100.7623', '25H2': '26100.7623', '23H2': '22631.4751' } };
    expect(invalidFieldsOf(() => parsePatchDefinition(input))).toEqual(['builds.25H2', 'builds.23H2']);
    expect(messageFor(input, 'builds.25H2')).toBe('must be a 26200.N build');
  });

  it('requires the baseline KB of a hotpatch, and refuses one on any other kind', () => {
    expect(messageFor({ ...wireFormOf(realRelease('KB5077212')), baselineKb: undefined }, 'baselineKb')).toMatch(/^is required for a hotpatch/);
    expect(messageFor({ ...wireFormOf(realRelease('KB5077181')), baselineKb: 'KB5074109' }, 'baselineKb')).toBe('is only for a hotpatch');
  });

  it('accepts an out-of-band hotpatch whose baseline is not known (KB5066360 in the data names none)', () => {
    const oob = { ...wireFormOf(realRelease('KB5084597')), baselineKb: null };
    expect(parsePatchDefinition(oob)).toMatchObject({ kind: 'oob-hotpatch', baselineKb: null });
  });

  it('refuses the version-1 kind `cumulative` in the release shape', () => {
    expect(invalidFieldsOf(() => parsePatchDefinition({ ...wireFormOf(realRelease('KB5077181')), kind: 'cumulative' }))).toEqual(['kind']);
  });
});
