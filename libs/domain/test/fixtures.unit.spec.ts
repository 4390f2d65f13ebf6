import { PatchDefinition, compareBuilds, isHotpatchKind, parsePatchDefinition, parseRegisterDevice } from '@patchstate/domain';
import * as builders from '../../../test/builders';
import { baselineBuildOf, buildOf, fixtureCatalog } from '../../../test/builders';

/** The test builders must produce data the domain's own validators accept, or tests would prove little. */
describe('test fixtures', () => {
  const definitions = fixtureCatalog()
    .entries()
    .map((entry): [string, PatchDefinition] => [entry.patch.patchId, entry.patch]);

  /**
   * Fixtures are written in the API's first shape (one build, one baseline build) and read as releases: the
   * parser must read that shape into exactly the release the builders made.
   */
  function firstShapeOf(definition: PatchDefinition): Record<string, unknown> {
    const hotpatch = isHotpatchKind(definition.kind);
    return {
      patchId: definition.patchId,
      kind: definition.kind,
      build: buildOf(definition),
      ...(hotpatch ? { baselineBuild: baselineBuildOf(definition) } : {}),
      releasedAt: definition.releasedAt,
      architectures: definition.architectures,
      products: definition.products,
      cves: definition.cves,
      supersedes: definition.supersedes,
    };
  }

  it.each(definitions)('%s is a valid patch definition in the first shape', (_kb, definition) => {
    expect(parsePatchDefinition(firstShapeOf(definition))).toEqual(definition);
  });

  it('keep the published numbers: KB5050009 = 26100.2894, KB5065474 = 26100.6508, KB5065426 = 26100.6584', () => {
    expect(builders.JANUARY_2025_BASELINE).toMatchObject({ patchId: 'KB5050009', kind: 'baseline', builds: { '24H2': '26100.2894' } });
    expect(builders.SEPTEMBER_2025_HOTPATCH).toMatchObject({ patchId: 'KB5065474', kind: 'hotpatch', builds: { '24H2': '26100.6508' } });
    expect(builders.SEPTEMBER_2025_CUMULATIVE).toMatchObject({ patchId: 'KB5065426', kind: 'lcu', builds: { '24H2': '26100.6584' } });
    expect(builders.OUT_OF_BAND_MAY_2025_HOTPATCH).toMatchObject({ patchId: 'KB5061258', builds: { '24H2': '26100.3983' } });
  });

  it('build hotpatches above their baseline', () => {
    const hotpatches = definitions.filter(([, d]) => isHotpatchKind(d.kind));
    expect(hotpatches.map(([kb]) => kb)).toEqual(['KB5052093', 'KB5053636', 'KB5058497', 'KB5061258', 'KB5065474']);
    for (const [, definition] of hotpatches) {
      expect(compareBuilds(buildOf(definition), baselineBuildOf(definition))).toBeGreaterThan(0);
    }
  });

  it('register a valid device', () => {
    const { data } = builders.registerDevice();
    expect(parseRegisterDevice(JSON.parse(JSON.stringify(data)))).toEqual(data);
  });

  it('give metadata at the time asked, recorded when it occurred', () => {
    expect(builders.commandMetadata({ occurredAt: '2025-03-01T00:00:00Z' })).toMatchObject({
      occurredAt: '2025-03-01T00:00:00Z',
      recordedAt: '2025-03-01T00:00:00Z',
    });
  });
});
