import {
  PatchDefinitionV1,
  ValidationError,
  isIsoTimestamp,
  parseApplyHotpatch,
  parseDeviceId,
  parseFailureReport,
  parsePatchDefinition,
  parsePatchId,
  parseProfileReport,
  parseReboot,
  parseRegisterDevice,
  parseRetire,
  parseRevert,
  parseRevokePatch,
  parseStageUpdate,
  upcastPatchDefinitionV1,
} from '@patchstate/domain';
import { domainErrorOf, invalidFieldsOf } from './given.helper.spec';

/** The February 2025 hotpatch as a client would post it. */
function hotpatchInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    patchId: 'KB5052093',
    kind: 'hotpatch',
    build: '26100.3032',
    baselineBuild: '26100.2894',
    releasedAt: '2025-02-11T18:00:00Z',
    architectures: ['x64', 'arm64'],
    cves: ['CVE-2025-21418', 'CVE-2025-21391'],
    ...overrides,
  };
}

function registerInput(profile: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    deviceId: 'ws-0042',
    hostname: 'ws-0042.corp.contoso.example',
    profile: { product: 'windows-11', edition: 'enterprise', architecture: 'x64', build: '26100.2894', vbs: 'running', hotpatchEnabled: true, ...profile },
    ...overrides,
  };
}

function messageFor(act: () => unknown, field: string): string | undefined {
  return (domainErrorOf(act) as ValidationError).fieldErrors.find((e) => e.field === field)?.message;
}

describe('timestamps', () => {
  it.each(['2025-01-14T18:00:00Z', '2025-01-14T18:00Z', '2025-01-14T19:00:00.123+01:00', '2024-02-29T00:00:00Z', '2000-02-29T00:00:00Z'])(
    'accept %s',
    (value) => expect(isIsoTimestamp(value)).toBe(true),
  );

  it.each([
    ['without a zone', '2025-01-14T18:00:00'],
    ['a date only', '2025-01-14'],
    ['month 13', '2025-13-01T00:00:00Z'],
    ['30 February', '2025-02-30T00:00:00Z'],
    ['29 February of a common year', '2025-02-29T00:00:00Z'],
    ['29 February 1900', '1900-02-29T00:00:00Z'],
    ['31 April', '2025-04-31T10:00:00+02:00'],
    ['day 0', '2025-01-00T00:00:00Z'],
    ['minute 60', '2025-01-14T23:60:00Z'],
    ['words', 'yesterday'],
    ['a number', 1736877600000],
  ])('refuse %s', (_name, value) => expect(isIsoTimestamp(value)).toBe(false));
});

/** The API's first shape (one build, a baseline build, `cumulative`), still accepted; the release shape: release-definition.unit.spec.ts. */
describe('parsePatchDefinition, the first shape (one build)', () => {
  it('accepts a hotpatch and reads it as a version-1 event is read (catalog-upcast.unit.spec.ts pins that shape)', () => {
    const definition = parsePatchDefinition(hotpatchInput());
    expect(definition).toEqual(upcastPatchDefinitionV1({ ...hotpatchInput(), products: null, supersedes: [] } as unknown as PatchDefinitionV1));
    expect(definition).toMatchObject({ builds: { '24H2': '26100.3032' }, baselineBuilds: { '24H2': '26100.2894' }, products: ['windows-11', 'windows-server-2025'] });
  });

  it('accepts a baseline without baselineBuild: no baseline builds', () => {
    const baseline = { patchId: 'KB5050009', kind: 'baseline', build: '26100.2894', releasedAt: '2025-01-14T18:00:00Z', architectures: ['x64'], cves: [] };
    expect(parsePatchDefinition(baseline)).toMatchObject({ kind: 'baseline', builds: { '24H2': '26100.2894' }, baselineKb: null, baselineBuilds: {} });
  });

  it('reads the first shape\'s `cumulative` as an LCU', () => {
    const cumulative = { patchId: 'KB5065426', kind: 'cumulative', build: '26100.6584', releasedAt: '2025-09-09T17:00:00Z', architectures: ['x64'], cves: [] };
    expect(parsePatchDefinition(cumulative)).toMatchObject({ kind: 'lcu', builds: { '24H2': '26100.6584' } });
  });

  it('refuses anything but an object', () => {
    for (const input of [null, 'KB5052093', [hotpatchInput()], 42]) expect(invalidFieldsOf(() => parsePatchDefinition(input))).toEqual(['body']);
  });

  it('refuses unknown fields', () => {
    const error = domainErrorOf(() => parsePatchDefinition(hotpatchInput({ severity: 'critical' })));
    expect((error as ValidationError).fieldErrors).toEqual([{ field: 'severity', message: 'is not a known field' }]);
  });

  it('names every bad field at once', () => {
    const input = {
      patchId: 'KB12',
      kind: 'monthly',
      build: '26100',
      baselineBuild: 'latest',
      releasedAt: '2025-02-30T00:00:00Z',
      architectures: ['sparc'],
      products: ['windows-10'],
      cves: ['CVE-25-1'],
      supersedes: ['5050009'],
      colour: 'blue',
    };
    // The fields both shapes share first, then those of the first shape.
    expect(invalidFieldsOf(() => parsePatchDefinition(input))).toEqual([
      'colour',
      'patchId',
      'kind',
      'releasedAt',
      'architectures[0]',
      'cves[0]',
      'supersedes[0]',
      'build',
      'baselineBuild',
      'products[0]',
      'baselineBuild',
    ]);
  });

  it('names every missing required field: without `build` the input is read as a release, which needs products and builds', () => {
    expect(invalidFieldsOf(() => parsePatchDefinition({}))).toEqual(['patchId', 'kind', 'releasedAt', 'architectures', 'cves', 'products', 'builds']);
  });

  it.each(['KB505', 'kb5052093', 'KB-5052093', 'KB505209312', '5052093'])('refuses the KB id %s', (patchId) => {
    expect(invalidFieldsOf(() => parsePatchDefinition(hotpatchInput({ patchId })))).toEqual(['patchId']);
  });

  it.each(['2025-02-11', '2025-02-30T18:00:00Z', 'Feb 11 2025'])('refuses the release date %s', (releasedAt) => {
    expect(invalidFieldsOf(() => parsePatchDefinition(hotpatchInput({ releasedAt })))).toEqual(['releasedAt']);
  });

  it('refuses a hotpatch without baselineBuild', () => {
    const input = hotpatchInput();
    delete input.baselineBuild;
    expect(messageFor(() => parsePatchDefinition(input), 'baselineBuild')).toBe('is required for a hotpatch');
  });

  it('refuses baselineBuild on anything but a hotpatch', () => {
    expect(messageFor(() => parsePatchDefinition(hotpatchInput({ kind: 'cumulative' })), 'baselineBuild')).toBe('is only for a hotpatch');
  });

  it('refuses a hotpatch whose build is not newer than its baseline', () => {
    expect(messageFor(() => parsePatchDefinition(hotpatchInput({ build: '26100.2894' })), 'build')).toBe('must be newer than baselineBuild');
    expect(invalidFieldsOf(() => parsePatchDefinition(hotpatchInput({ build: '26100.2000' })))).toEqual(['build']);
  });

  it('compares the hotpatch build with its baseline numerically', () => {
    expect(parsePatchDefinition(hotpatchInput({ baselineBuild: '26100.9999', build: '26100.10000' })).builds).toEqual({ '24H2': '26100.10000' });
    expect(invalidFieldsOf(() => parsePatchDefinition(hotpatchInput({ baselineBuild: '26100.10000', build: '26100.9999' })))).toEqual(['build']);
  });

  it('refuses empty architecture and product lists, and repeated entries', () => {
    expect(invalidFieldsOf(() => parsePatchDefinition(hotpatchInput({ architectures: [], products: [] })))).toEqual(['architectures', 'products']);
    expect(messageFor(() => parsePatchDefinition(hotpatchInput({ cves: ['CVE-2025-21333', 'CVE-2025-21333'] })), 'cves')).toBe('must not repeat an entry');
  });

  it('refuses a list that is not a list', () => {
    expect(messageFor(() => parsePatchDefinition(hotpatchInput({ cves: 'CVE-2025-21333' })), 'cves')).toBe('must be a list');
  });
});

describe('parseRevokePatch', () => {
  it('requires a reason and nothing else', () => {
    expect(parseRevokePatch({ reason: 'boot loop' })).toEqual({ reason: 'boot loop' });
    expect(invalidFieldsOf(() => parseRevokePatch({}))).toEqual(['reason']);
    expect(invalidFieldsOf(() => parseRevokePatch({ reason: '', by: 'me' }))).toEqual(['by', 'reason']);
  });
});

describe('parseRegisterDevice', () => {
  it('accepts a device and defaults chpeDisabled to false', () => {
    expect(parseRegisterDevice(registerInput())).toEqual({
      deviceId: 'ws-0042',
      hostname: 'ws-0042.corp.contoso.example',
      profile: {
        product: 'windows-11',
        edition: 'enterprise',
        architecture: 'x64',
        build: '26100.2894',
        vbs: 'running',
        chpeDisabled: false,
        hotpatchEnabled: true,
      },
    });
  });

  it('passes registeredAt through when given', () => {
    expect(parseRegisterDevice(registerInput({}, { registeredAt: '2025-01-20T08:00:00Z' }))).toMatchObject({ registeredAt: '2025-01-20T08:00:00Z' });
  });

  it('names every bad field, nested profile fields with their path', () => {
    const input = registerInput(
      { edition: 'home', vbs: 'yes', build: '26100', chpeDisabled: 'no', hotpatchEnabled: undefined, tpm: '2.0' },
      { deviceId: '-bad', hostname: 'host name', registeredAt: '2025-02-30T00:00:00Z', site: 'Leeds' },
    );
    expect(invalidFieldsOf(() => parseRegisterDevice(input))).toEqual([
      'site',
      'deviceId',
      'hostname',
      'registeredAt',
      'profile.tpm',
      'profile.edition',
      'profile.build',
      'profile.vbs',
      'profile.chpeDisabled',
      'profile.hotpatchEnabled',
    ]);
  });

  it('requires a profile object', () => {
    expect(invalidFieldsOf(() => parseRegisterDevice({ deviceId: 'ws-0042', hostname: 'ws-0042' }))).toEqual(['profile']);
    expect(messageFor(() => parseRegisterDevice(registerInput({}, { profile: 'x64' })), 'profile')).toBe('must be an object');
  });
});

describe('parseProfileReport', () => {
  it('accepts the fields a device may change, and only those it sent', () => {
    expect(parseProfileReport({ vbs: 'running', chpeDisabled: true, reportedAt: '2025-02-01T07:00:00Z' })).toEqual({
      changes: { vbs: 'running', chpeDisabled: true },
      reportedAt: '2025-02-01T07:00:00Z',
    });
  });

  it('refuses the build: it changes only through staged updates and reboots', () => {
    expect(messageFor(() => parseProfileReport({ vbs: 'running', build: '26100.3032' }), 'build')).toBe(
      'changes only through staged updates and reboots, not by a profile report',
    );
  });

  it('refuses unknown fields and names every bad one', () => {
    expect(invalidFieldsOf(() => parseProfileReport({ vbs: 'maybe', edition: 'home', reportedAt: 'now', ram: 16 }))).toEqual([
      'edition',
      'vbs',
      'reportedAt',
      'ram',
    ]);
  });

  it('refuses a report that changes nothing', () => {
    expect(invalidFieldsOf(() => parseProfileReport({}))).toEqual(['body']);
    expect(invalidFieldsOf(() => parseProfileReport({ reportedAt: '2025-02-01T07:00:00Z' }))).toEqual(['body']);
  });
});

describe('parsing the other device commands', () => {
  it('parseApplyHotpatch wants a KB id and an optional time', () => {
    expect(parseApplyHotpatch({ patchId: 'KB5052093' })).toEqual({ patchId: 'KB5052093' });
    expect(parseApplyHotpatch({ patchId: 'KB5052093', appliedAt: '2025-02-12T09:30:00Z' })).toEqual({ patchId: 'KB5052093', appliedAt: '2025-02-12T09:30:00Z' });
    expect(invalidFieldsOf(() => parseApplyHotpatch({ patchId: 'KB-5052093', appliedAt: '2025-02-30T09:30:00Z', force: true }))).toEqual([
      'force',
      'patchId',
      'appliedAt',
    ]);
  });

  it('parseReboot accepts an empty body and checks bootId', () => {
    expect(parseReboot(undefined)).toEqual({ bootId: null });
    expect(parseReboot({ bootId: 'boot-7f3a', rebootedAt: '2025-02-15T03:00:00Z' })).toEqual({ bootId: 'boot-7f3a', rebootedAt: '2025-02-15T03:00:00Z' });
    expect(invalidFieldsOf(() => parseReboot({ bootId: 'boot 7f3a', rebootedAt: 'soon' }))).toEqual(['rebootedAt', 'bootId']);
  });

  it('parseStageUpdate wants a KB id and an optional time', () => {
    expect(parseStageUpdate({ patchId: 'KB5055523' })).toEqual({ patchId: 'KB5055523' });
    expect(invalidFieldsOf(() => parseStageUpdate({ stagedAt: '2025-13-01T00:00:00Z' }))).toEqual(['patchId', 'stagedAt']);
  });

  it('parseRevert accepts an empty body and only a time', () => {
    expect(parseRevert(undefined)).toEqual({});
    expect(parseRevert({ revertedAt: '2025-02-13T11:00:00Z' })).toEqual({ revertedAt: '2025-02-13T11:00:00Z' });
    expect(invalidFieldsOf(() => parseRevert({ patchId: 'KB5052093' }))).toEqual(['patchId']);
  });

  it('parseFailureReport wants an HRESULT and stores it in lower case', () => {
    expect(parseFailureReport({ patchId: 'KB5052093', errorCode: '0x800F0922' })).toEqual({ patchId: 'KB5052093', errorCode: '0x800f0922' });
    expect(invalidFieldsOf(() => parseFailureReport({ patchId: 'KB5052093', errorCode: '800f0922' }))).toEqual(['errorCode']);
    expect(invalidFieldsOf(() => parseFailureReport({}))).toEqual(['patchId', 'errorCode']);
  });

  it('parseRetire accepts an empty body, a reason and a time', () => {
    expect(parseRetire(undefined)).toEqual({ reason: null });
    expect(parseRetire({ reason: 'stolen', retiredAt: '2025-03-01T00:00:00Z' })).toEqual({ reason: 'stolen', retiredAt: '2025-03-01T00:00:00Z' });
    expect(invalidFieldsOf(() => parseRetire({ reason: '', wipe: true }))).toEqual(['wipe', 'reason']);
  });

  it('parseDeviceId and parsePatchId name the field they check', () => {
    expect(parseDeviceId('ws-0042')).toBe('ws-0042');
    expect(invalidFieldsOf(() => parseDeviceId('ws 0042', 'id'))).toEqual(['id']);
    expect(parsePatchId('KB5050009')).toBe('KB5050009');
    expect(invalidFieldsOf(() => parsePatchId('KB50'))).toEqual(['patchId']);
    expect(invalidFieldsOf(() => parsePatchId(undefined))).toEqual(['patchId']);
  });
});
