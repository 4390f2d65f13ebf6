import { isBuild, parseBuild } from '../shared/builds';
import { FieldChecks, CVE_ID, PATCH_ID, isPlainObject } from '../shared/validation';
import { ValidationError } from '../shared/domain-error';
import { ARCHITECTURES, PATCH_KINDS, PRODUCTS, PatchDefinition } from './patch';
import { OS_VERSIONS, OsBuilds, OsVersion } from './os-version';
import { PatchDefinitionV1, upcastPatchDefinitionV1 } from './patch-events';

const RELEASE_FIELDS = [
  'patchId',
  'kind',
  'releasedAt',
  'products',
  'builds',
  'architectures',
  'baselineKb',
  'baselineBuilds',
  'cves',
  'supersedes',
  'replaces',
];
/** The first shape of the API (one build, a baseline build): still accepted, read as a release. */
const LEGACY_FIELDS = ['patchId', 'kind', 'build', 'baselineBuild', 'releasedAt', 'architectures', 'products', 'cves', 'supersedes'];

/** The build line each OS version's builds must be on. */
const MAJOR_OF_VERSION: Partial<Record<OsVersion, number>> = { '24H2': 26100, '25H2': 26200, '26H2': 26300 };

/** Turns untrusted input into a release definition, naming every bad field at once. */
export function parsePatchDefinition(raw: unknown): PatchDefinition {
  if (!isPlainObject(raw)) throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
  // A stored definition says null where a client may leave the field out: accept both.
  const input = Object.fromEntries(
    Object.entries(raw).filter(([key, value]) => !(value === null && ['baselineBuild', 'baselineKb', 'products', 'supersedes', 'replaces'].includes(key))),
  );
  return 'build' in input ? parseLegacyDefinition(input) : parseRelease(input);
}

function commonChecks(input: Record<string, unknown>, fields: string[], kinds: readonly string[]): FieldChecks {
  return new FieldChecks(input)
    .onlyKnown(fields)
    .requiredString('patchId', PATCH_ID, 'a KB number such as KB5050009')
    .requiredEnum('kind', kinds)
    .requiredTimestamp('releasedAt')
    .stringList('architectures', { required: true, nonEmpty: true, pattern: /^.+$/, hint: 'an architecture', allowed: ARCHITECTURES })
    .stringList('cves', { required: true, pattern: CVE_ID, hint: 'a CVE id such as CVE-2025-21333' })
    .stringList('supersedes', { required: false, pattern: PATCH_ID, hint: 'a KB number' });
}

function parseRelease(input: Record<string, unknown>): PatchDefinition {
  const checks = commonChecks(input, RELEASE_FIELDS, PATCH_KINDS)
    .stringList('products', { required: true, nonEmpty: true, pattern: /^.+$/, hint: 'a product', allowed: PRODUCTS })
    .optionalString('baselineKb', PATCH_ID, 'a KB number such as KB5050009')
    .stringList('replaces', { required: false, pattern: PATCH_ID, hint: 'a KB number' });
  checkBuilds(checks, input.builds, 'builds', true);
  checkBuilds(checks, input.baselineBuilds, 'baselineBuilds', false);
  const kind = input.kind;
  const namesBaseline = input.baselineKb !== undefined || (isPlainObject(input.baselineBuilds) && Object.keys(input.baselineBuilds).length > 0);
  if (kind === 'hotpatch' && !namesBaseline) checks.fail('baselineKb', 'is required for a hotpatch (or its baselineBuilds)');
  if (kind !== undefined && kind !== 'hotpatch' && kind !== 'oob-hotpatch') {
    if (input.baselineKb !== undefined) checks.fail('baselineKb', 'is only for a hotpatch');
    // A stored definition says {} for "no baseline": only a baseline that is named is out of place.
    if (isPlainObject(input.baselineBuilds) && Object.keys(input.baselineBuilds).length > 0) checks.fail('baselineBuilds', 'is only for a hotpatch');
  }
  checks.throwIfInvalid();
  return {
    patchId: input.patchId as string,
    kind: kind as PatchDefinition['kind'],
    releasedAt: input.releasedAt as string,
    products: input.products as PatchDefinition['products'],
    builds: input.builds as OsBuilds,
    architectures: input.architectures as PatchDefinition['architectures'],
    baselineKb: (input.baselineKb as string | undefined) ?? null,
    baselineBuilds: (input.baselineBuilds as OsBuilds | undefined) ?? {},
    cves: input.cves as string[],
    supersedes: (input.supersedes as string[] | undefined) ?? [],
    replaces: (input.replaces as string[] | undefined) ?? [],
  };
}

/** `builds` (required) or `baselineBuilds` (optional): OS version to build, each on its version's line. */
function checkBuilds(checks: FieldChecks, builds: unknown, field: string, required: boolean): void {
  if (builds === undefined) {
    if (required) checks.fail(field, 'is required: the OS build per OS version, such as {"24H2": "26100.7392", "25H2": "26200.7392"}');
    return;
  }
  if (!isPlainObject(builds)) {
    checks.fail(field, 'must be an object of OS version to build');
    return;
  }
  for (const [version, build] of Object.entries(builds)) {
    if (!(OS_VERSIONS as readonly string[]).includes(version)) {
      checks.fail(`${field}.${version}`, `is not an OS version (one of ${OS_VERSIONS.join(', ')})`);
    } else if (!isBuild(build)) {
      checks.fail(`${field}.${version}`, 'must be a build such as "26100.2894"');
    } else {
      const major = MAJOR_OF_VERSION[version as OsVersion];
      if (major !== undefined && parseBuild(build).major !== major) checks.fail(`${field}.${version}`, `must be a ${major}.N build`);
    }
  }
}

function parseLegacyDefinition(input: Record<string, unknown>): PatchDefinition {
  const checks = commonChecks(input, LEGACY_FIELDS, [...PATCH_KINDS, 'cumulative'])
    .requiredBuild('build')
    .optionalBuild('baselineBuild')
    .stringList('products', { required: false, nonEmpty: true, pattern: /^.+$/, hint: 'a product', allowed: PRODUCTS });
  const kind = input.kind;
  const baselineBuild = input.baselineBuild;
  const hotpatch = kind === 'hotpatch' || kind === 'oob-hotpatch';
  if (hotpatch && baselineBuild === undefined) checks.fail('baselineBuild', 'is required for a hotpatch');
  if (!hotpatch && kind !== undefined && baselineBuild !== undefined) checks.fail('baselineBuild', 'is only for a hotpatch');
  if (hotpatch && isBuild(input.build) && isBuild(baselineBuild) && parseBuild(input.build).revision <= parseBuild(baselineBuild).revision) {
    checks.fail('build', 'must be newer than baselineBuild');
  }
  checks.throwIfInvalid();
  return upcastPatchDefinitionV1({
    ...(input as unknown as PatchDefinitionV1),
    baselineBuild: (baselineBuild as string | undefined) ?? null,
    products: (input.products as PatchDefinitionV1['products'] | undefined) ?? null,
    supersedes: (input.supersedes as string[] | undefined) ?? [],
  });
}

export function parseRevokePatch(input: unknown): { reason: string } {
  if (!isPlainObject(input)) throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
  new FieldChecks(input).onlyKnown(['reason']).requiredString('reason').throwIfInvalid();
  return { reason: input.reason as string };
}
