import {
  EligibilitySubject,
  HotpatchForDevice,
  INELIGIBILITY_REASONS,
  PatchDefinition,
  deviceEligibility,
  hotpatchEligibility,
} from '@patchstate/domain';
import {
  APRIL_2025_BASELINE,
  DEVICE_ID,
  FEBRUARY_2025_HOTPATCH,
  MARCH_2025_HOTPATCH,
  MAY_2025_HOTPATCH,
  SERVER_2022_JANUARY_2025_BUILD,
  WINDOWS_11_23H2_BUILD,
  aDeviceHistory,
  aDeviceProfile,
  aHotpatch,
  anArm64Profile,
  applyHotpatch,
  baselineBuildOf,
  buildOf,
  deviceRegistered,
  patchState,
} from '../../../test/builders';
import { given } from './given.helper.spec';

/** Applies `patch` (February 2025 unless told) to a device freshly registered with `profile`. */
function applyingTo(profile: Parameters<typeof deviceRegistered>[0], patch: PatchDefinition = FEBRUARY_2025_HOTPATCH, revoked = false) {
  return given([deviceRegistered(profile)]).when(applyHotpatch(patch), patchState(patch, { revoked }));
}

function subject(overrides: Partial<EligibilitySubject> = {}): EligibilitySubject {
  return {
    profile: aDeviceProfile(),
    runningBaselineBuild: '26100.2894',
    diskBaselineBuild: '26100.2894',
    retired: false,
    ...overrides,
  };
}

/** A fixture hotpatch as it concerns a 24H2 device: its one build and its baseline's. */
function forDevice(definition: PatchDefinition): HotpatchForDevice {
  return { definition, build: buildOf(definition), baselineBuild: baselineBuildOf(definition) };
}

const SERVER_2022_HOTPATCH = aHotpatch({
  patchId: 'KB5052006',
  build: '20348.3207',
  baselineBuild: SERVER_2022_JANUARY_2025_BUILD,
  architectures: ['x64'],
  products: ['windows-server-2022'],
});

describe('hotpatch eligibility', () => {
  it('lets a Windows 11 Enterprise 24H2 x64 device with VBS running and hotpatching enabled take the hotpatch', () => {
    expect(hotpatchEligibility(subject(), forDevice(FEBRUARY_2025_HOTPATCH), false)).toEqual({ eligible: true, reasons: [] });
    expect(applyingTo({}).events()[0]!.type).toBe('HotpatchApplied');
  });

  describe('VBS_NOT_RUNNING', () => {
    it.each(['off', 'enabled'] as const)('refuses a device whose VBS is %s (enabled but not running does not count)', (vbs) => {
      applyingTo({ vbs }).thenRejectedFor(['VBS_NOT_RUNNING']);
    });
  });

  describe('UNSUPPORTED_EDITION', () => {
    it('refuses Windows 11 Pro', () => {
      applyingTo({ edition: 'pro' }).thenRejectedFor(['UNSUPPORTED_EDITION']);
    });

    it('refuses Windows Server 2022 Standard: only Datacenter: Azure Edition hotpatches on 2022', () => {
      const server2022 = { product: 'windows-server-2022', edition: 'standard', build: SERVER_2022_JANUARY_2025_BUILD } as const;
      applyingTo(server2022, SERVER_2022_HOTPATCH).thenRejectedFor(['UNSUPPORTED_EDITION']);
      applyingTo({ ...server2022, edition: 'datacenter' }, SERVER_2022_HOTPATCH).thenRejectedFor(['UNSUPPORTED_EDITION']);
    });

    it('accepts Windows Server 2022 Datacenter: Azure Edition', () => {
      const azure = { product: 'windows-server-2022', edition: 'datacenter-azure-edition', build: SERVER_2022_JANUARY_2025_BUILD } as const;
      expect(applyingTo(azure, SERVER_2022_HOTPATCH).events()[0]!.type).toBe('HotpatchApplied');
    });

    it.each(['standard', 'datacenter', 'datacenter-azure-edition'] as const)('accepts Windows Server 2025 %s', (edition) => {
      expect(applyingTo({ product: 'windows-server-2025', edition }).events()[0]!.type).toBe('HotpatchApplied');
    });

    it.each(['education', 'windows-365-enterprise'] as const)('accepts Windows 11 %s', (edition) => {
      expect(applyingTo({ edition }).events()[0]!.type).toBe('HotpatchApplied');
    });

    it('refuses a server edition reported for Windows 11', () => {
      expect(deviceEligibility(subject({ profile: aDeviceProfile({ edition: 'datacenter' }) })).reasons).toEqual(['UNSUPPORTED_EDITION']);
    });
  });

  describe('UNSUPPORTED_OS_BUILD', () => {
    it('refuses Windows 11 23H2 (build 22631.x): no build of the release for its OS version, and a build the catalog does not know', () => {
      applyingTo({ build: WINDOWS_11_23H2_BUILD }).thenRejectedFor(['UNSUPPORTED_OS_BUILD', 'OS_VERSION_NOT_SUPPORTED', 'UNKNOWN_BUILD']);
    });

    it('refuses Windows Server 2025 below build 26100.1742 and accepts it from there', () => {
      const server = (build: string) =>
        deviceEligibility(
          subject({
            profile: aDeviceProfile({ product: 'windows-server-2025', edition: 'datacenter', build }),
            runningBaselineBuild: build,
            diskBaselineBuild: build,
          }),
        );
      expect(server('26100.1741').reasons).toEqual(['UNSUPPORTED_OS_BUILD']);
      expect(server('26100.1742')).toEqual({ eligible: true, reasons: [] });
    });

    it('judges the device alone: 23H2 cannot hotpatch whatever the patch', () => {
      expect(deviceEligibility(subject({ runningBaselineBuild: WINDOWS_11_23H2_BUILD, diskBaselineBuild: WINDOWS_11_23H2_BUILD }))).toEqual({
        eligible: false,
        reasons: ['UNSUPPORTED_OS_BUILD'],
      });
    });
  });

  describe('Arm64 and CHPE', () => {
    it('refuses an Arm64 device with CHPE enabled (CHPE_ENABLED)', () => {
      applyingTo(anArm64Profile({ chpeDisabled: false })).thenRejectedFor(['CHPE_ENABLED']);
    });

    it('applies on an Arm64 device with CHPE disabled', () => {
      expect(applyingTo(anArm64Profile()).events()[0]!.type).toBe('HotpatchApplied');
    });

    it('ignores the CHPE setting on x64', () => {
      expect(applyingTo({ architecture: 'x64', chpeDisabled: false }).events()[0]!.type).toBe('HotpatchApplied');
    });

    it('applies once CHPE disabled took effect: after the restart that follows the report, not before', () => {
      const reported = aDeviceHistory().registered(anArm64Profile({ chpeDisabled: false })).profileReported({ chpeDisabled: true });
      given(reported.events).when(applyHotpatch(FEBRUARY_2025_HOTPATCH), patchState(FEBRUARY_2025_HOTPATCH)).thenRejectedFor(['CHPE_ENABLED']);
      const restarted = reported.rebooted();
      expect(given(restarted.events).when(applyHotpatch(FEBRUARY_2025_HOTPATCH), patchState(FEBRUARY_2025_HOTPATCH)).events()[0]!.type).toBe(
        'HotpatchApplied',
      );
    });
  });

  it('refuses a hotpatch not built for the device architecture (ARCHITECTURE_NOT_SUPPORTED)', () => {
    const x64Only = aHotpatch({ architectures: ['x64'] });
    applyingTo(anArm64Profile(), x64Only).thenRejectedFor(['ARCHITECTURE_NOT_SUPPORTED']);
  });

  it('refuses a hotpatch for another product (PRODUCT_NOT_SUPPORTED)', () => {
    const serverOnly = aHotpatch({ products: ['windows-server-2025'] });
    applyingTo({ product: 'windows-11' }, serverOnly).thenRejectedFor(['PRODUCT_NOT_SUPPORTED']);
  });

  it('treats a first-shape hotpatch without a product list as meant for every product of its build line (26100: Windows 11 and Server 2025)', () => {
    const everyProduct = aHotpatch({ products: null });
    expect(everyProduct.products).toEqual(['windows-11', 'windows-server-2025']);
    expect(hotpatchEligibility(subject(), forDevice(everyProduct), false).eligible).toBe(true);
    const server = subject({ profile: aDeviceProfile({ product: 'windows-server-2025', edition: 'standard' }) });
    expect(hotpatchEligibility(server, forDevice(everyProduct), false).eligible).toBe(true);
  });

  it('refuses a hotpatch that has no build for the device\'s OS version (OS_VERSION_NOT_SUPPORTED)', () => {
    expect(hotpatchEligibility(subject(), { ...forDevice(FEBRUARY_2025_HOTPATCH), build: null }, false).reasons).toEqual(['OS_VERSION_NOT_SUPPORTED']);
  });

  it('refuses a device whose policy does not enable hotpatching (HOTPATCH_DISABLED)', () => {
    applyingTo({ hotpatchEnabled: false }).thenRejectedFor(['HOTPATCH_DISABLED']);
  });

  describe('BASELINE_MISMATCH', () => {
    it('refuses a hotpatch of another baseline', () => {
      applyingTo({}, MAY_2025_HOTPATCH).thenRejectedFor(['BASELINE_MISMATCH']);
    });

    it('refuses a hotpatch of the old baseline once the new baseline runs', () => {
      const history = aDeviceHistory().registered().staged(APRIL_2025_BASELINE).rebooted().events;
      given(history).when(applyHotpatch(MARCH_2025_HOTPATCH), patchState(MARCH_2025_HOTPATCH)).thenRejectedFor(['BASELINE_MISMATCH']);
      expect(given(history).when(applyHotpatch(MAY_2025_HOTPATCH), patchState(MAY_2025_HOTPATCH)).events()[0]!.type).toBe('HotpatchApplied');
    });

    it('refuses a hotpatch of the running baseline while a new baseline is staged on disk', () => {
      const history = aDeviceHistory().registered().staged(APRIL_2025_BASELINE).events;
      given(history).when(applyHotpatch(FEBRUARY_2025_HOTPATCH), patchState(FEBRUARY_2025_HOTPATCH)).thenRejectedFor(['BASELINE_MISMATCH']);
    });

    it('refuses a hotpatch of the staged baseline before the restart that activates it', () => {
      const history = aDeviceHistory().registered().staged(APRIL_2025_BASELINE).events;
      given(history).when(applyHotpatch(MAY_2025_HOTPATCH), patchState(MAY_2025_HOTPATCH)).thenRejectedFor(['BASELINE_MISMATCH']);
    });

    it('refuses a patch whose baseline has no build for the device\'s OS version', () => {
      expect(hotpatchEligibility(subject(), { ...forDevice(FEBRUARY_2025_HOTPATCH), baselineBuild: null }, false).reasons).toEqual(['BASELINE_MISMATCH']);
    });

    it('says UNKNOWN_BUILD instead when the catalog does not know what the device runs: its baseline cannot be told', () => {
      const unknown = subject({ runningBaselineBuild: '26100.2899', diskBaselineBuild: '26100.2899', buildKnown: false });
      expect(hotpatchEligibility(unknown, forDevice(FEBRUARY_2025_HOTPATCH), false).reasons).toEqual(['UNKNOWN_BUILD']);
      applyingTo({ build: '26100.2899' }).thenRejectedFor(['UNKNOWN_BUILD']);
    });
  });

  it('refuses a revoked hotpatch (PATCH_REVOKED)', () => {
    applyingTo({}, FEBRUARY_2025_HOTPATCH, true).thenRejectedFor(['PATCH_REVOKED']);
  });

  it('refuses a retired device (DEVICE_RETIRED)', () => {
    expect(deviceEligibility(subject({ retired: true })).reasons).toEqual(['DEVICE_RETIRED']);
  });

  /** Everything wrong with a device: Windows 11 Pro 23H2 on Arm64 with CHPE, VBS not running, hotpatching off. */
  const HOPELESS_PROFILE = aDeviceProfile({
    edition: 'pro',
    architecture: 'arm64',
    build: WINDOWS_11_23H2_BUILD,
    vbs: 'enabled',
    chpeDisabled: false,
    hotpatchEnabled: false,
  });
  const WRONG_PATCH = aHotpatch({ architectures: ['x64'], products: ['windows-server-2025'] });

  it('reports every reason at once, in the stable order of INELIGIBILITY_REASONS (BASELINE_MISMATCH and UNKNOWN_BUILD exclude each other)', () => {
    const hopeless = subject({
      profile: HOPELESS_PROFILE,
      runningBaselineBuild: WINDOWS_11_23H2_BUILD,
      diskBaselineBuild: WINDOWS_11_23H2_BUILD,
      retired: true,
      osUpgradedSinceBaseline: true,
    });
    const wrongPatch: HotpatchForDevice = { definition: WRONG_PATCH, build: null, baselineBuild: null };
    expect(hotpatchEligibility({ ...hopeless, buildKnown: true }, wrongPatch, true).reasons).toEqual(INELIGIBILITY_REASONS.filter((r) => r !== 'UNKNOWN_BUILD'));
    expect(hotpatchEligibility({ ...hopeless, buildKnown: false }, wrongPatch, true).reasons).toEqual(INELIGIBILITY_REASONS.filter((r) => r !== 'BASELINE_MISMATCH'));
    expect(INELIGIBILITY_REASONS).toEqual([
      'VBS_NOT_RUNNING',
      'UNSUPPORTED_EDITION',
      'UNSUPPORTED_OS_BUILD',
      'CHPE_ENABLED',
      'ARCHITECTURE_NOT_SUPPORTED',
      'PRODUCT_NOT_SUPPORTED',
      'HOTPATCH_DISABLED',
      'BASELINE_MISMATCH',
      'PATCH_REVOKED',
      'DEVICE_RETIRED',
      'OS_VERSION_NOT_SUPPORTED',
      'UNKNOWN_BUILD',
      'OS_UPGRADED_OUTSIDE_BASELINE',
    ]);
  });

  it('records every reason of a hopeless attempt in the HotpatchRejected event', () => {
    const hopeless = aDeviceHistory().registered(HOPELESS_PROFILE).retired().events;
    const rejection = given(hopeless).when(applyHotpatch(WRONG_PATCH), patchState(WRONG_PATCH, { revoked: true })).events();
    // 23H2 is a build the catalog does not know, and the release has none for it; the device never changed OS version.
    const reasons = INELIGIBILITY_REASONS.filter((r) => r !== 'BASELINE_MISMATCH' && r !== 'OS_UPGRADED_OUTSIDE_BASELINE');
    expect(rejection).toEqual([
      { type: 'HotpatchRejected', data: { deviceId: DEVICE_ID, patchId: 'KB5052093', reasons, rejectedAt: expect.any(String) } },
    ]);
  });

  it('reports only the device reasons from deviceEligibility, never the patch ones', () => {
    const everythingWrong = subject({
      profile: HOPELESS_PROFILE,
      runningBaselineBuild: WINDOWS_11_23H2_BUILD,
      diskBaselineBuild: WINDOWS_11_23H2_BUILD,
      retired: true,
    });
    expect(deviceEligibility(everythingWrong)).toEqual({
      eligible: false,
      reasons: ['VBS_NOT_RUNNING', 'UNSUPPORTED_EDITION', 'UNSUPPORTED_OS_BUILD', 'CHPE_ENABLED', 'HOTPATCH_DISABLED', 'DEVICE_RETIRED'],
    });
  });
});
