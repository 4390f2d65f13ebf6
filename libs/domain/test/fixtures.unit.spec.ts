import { PatchDefinition, compareBuilds, parsePatchDefinition, parseRegisterDevice } from '@patchstate/domain';
import * as builders from '../../../test/builders';

/** The test builders must produce data the domain's own validators accept, or tests would prove little. */
describe('test fixtures', () => {
  const definitions = Object.entries(builders).filter(
    (entry): entry is [string, PatchDefinition] =>
      typeof entry[1] === 'object' && entry[1] !== null && 'patchId' in entry[1] && 'kind' in entry[1],
  );

  it('include the catalog fixtures', () => {
    expect(definitions.length).toBeGreaterThanOrEqual(9);
  });

  /** The wire form leaves out what the definition holds as null (parsePatchDefinition refuses explicit nulls). */
  function wireFormOf(definition: PatchDefinition): Record<string, unknown> {
    return Object.fromEntries(Object.entries(definition).filter(([, value]) => value !== null));
  }

  it.each(definitions)('%s is a valid patch definition', (_name, definition) => {
    expect(parsePatchDefinition(wireFormOf(definition))).toEqual(definition);
  });

  it('keep the published numbers: KB5050009 = 26100.2894, KB5065474 = 26100.6508, KB5065426 = 26100.6584', () => {
    expect(builders.JANUARY_2025_BASELINE).toMatchObject({ patchId: 'KB5050009', kind: 'baseline', build: '26100.2894' });
    expect(builders.SEPTEMBER_2025_HOTPATCH).toMatchObject({ patchId: 'KB5065474', kind: 'hotpatch', build: '26100.6508' });
    expect(builders.SEPTEMBER_2025_CUMULATIVE).toMatchObject({ patchId: 'KB5065426', kind: 'cumulative', build: '26100.6584' });
    expect(builders.OUT_OF_BAND_MAY_2025_HOTPATCH).toMatchObject({ patchId: 'KB5061258', build: '26100.3983' });
  });

  it('build hotpatches above their baseline', () => {
    for (const [, definition] of definitions.filter(([, d]) => d.kind === 'hotpatch')) {
      expect(compareBuilds(definition.build, definition.baselineBuild!)).toBeGreaterThan(0);
    }
  });

  it('register a valid device', () => {
    const { data } = builders.registerDevice();
    expect(parseRegisterDevice(JSON.parse(JSON.stringify(data)))).toEqual(data);
  });

  it('give fixed, repeatable metadata', () => {
    expect(builders.commandMetadata()).toEqual(builders.commandMetadata());
    expect(builders.commandMetadata({ occurredAt: '2025-03-01T00:00:00Z' })).toMatchObject({
      occurredAt: '2025-03-01T00:00:00Z',
      recordedAt: '2025-03-01T00:00:00Z',
    });
  });
});
