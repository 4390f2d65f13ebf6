import { compareBuilds, isBuild } from '../shared/builds';
import { FieldChecks, CVE_ID, PATCH_ID, isPlainObject } from '../shared/validation';
import { ValidationError } from '../shared/domain-error';
import { ARCHITECTURES, PATCH_KINDS, PRODUCTS, PatchDefinition } from './patch';

const PUBLISH_FIELDS = ['patchId', 'kind', 'build', 'baselineBuild', 'releasedAt', 'architectures', 'products', 'cves', 'supersedes'];

/** Turns untrusted input into a patch definition, naming every bad field at once. */
export function parsePatchDefinition(raw: unknown): PatchDefinition {
  if (!isPlainObject(raw)) throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
  // A stored definition says null where a client may leave the field out: accept both.
  const input = Object.fromEntries(
    Object.entries(raw).filter(([key, value]) => !(value === null && ['baselineBuild', 'products', 'supersedes'].includes(key))),
  );
  const checks = new FieldChecks(input)
    .onlyKnown(PUBLISH_FIELDS)
    .requiredString('patchId', PATCH_ID, 'a KB number such as KB5050009')
    .requiredEnum('kind', PATCH_KINDS)
    .requiredBuild('build')
    .optionalBuild('baselineBuild')
    .requiredTimestamp('releasedAt')
    .stringList('architectures', { required: true, nonEmpty: true, pattern: /^.+$/, hint: 'an architecture', allowed: ARCHITECTURES })
    .stringList('products', { required: false, nonEmpty: true, pattern: /^.+$/, hint: 'a product', allowed: PRODUCTS })
    .stringList('cves', { required: true, pattern: CVE_ID, hint: 'a CVE id such as CVE-2025-21333' })
    .stringList('supersedes', { required: false, pattern: PATCH_ID, hint: 'a KB number' });
  const kind = input.kind;
  const baselineBuild = input.baselineBuild;
  if (kind === 'hotpatch' && baselineBuild === undefined) checks.fail('baselineBuild', 'is required for a hotpatch');
  if (kind !== 'hotpatch' && kind !== undefined && baselineBuild !== undefined) {
    checks.fail('baselineBuild', 'is only for a hotpatch');
  }
  if (kind === 'hotpatch' && isBuild(input.build) && isBuild(baselineBuild) && compareBuilds(input.build, baselineBuild) <= 0) {
    checks.fail('build', 'must be newer than baselineBuild');
  }
  checks.throwIfInvalid();
  return {
    patchId: input.patchId as string,
    kind: input.kind as PatchDefinition['kind'],
    build: input.build as string,
    baselineBuild: (baselineBuild as string | undefined) ?? null,
    releasedAt: input.releasedAt as string,
    architectures: input.architectures as PatchDefinition['architectures'],
    products: (input.products as PatchDefinition['products'] | undefined) ?? null,
    cves: input.cves as string[],
    supersedes: (input.supersedes as string[] | undefined) ?? [],
  };
}

export function parseRevokePatch(input: unknown): { reason: string } {
  if (!isPlainObject(input)) throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
  new FieldChecks(input).onlyKnown(['reason']).requiredString('reason').throwIfInvalid();
  return { reason: input.reason as string };
}
