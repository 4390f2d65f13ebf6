/*
 * Real Windows releases for given/when/then tests: the rows of ../shared/data/windows-releases.json read as
 * release definitions, a catalog of them as the service knew it at a date, and a device whose history is
 * decided command by command through that catalog. Mapped here, not by the domain's importer, so the tests of
 * the deciders do not depend on it: kb is the patchId, products are `product` and `sharedWith`, a date is
 * midnight UTC, absent architectures are both, absent CVEs none. Rows without builds cannot resolve a
 * device's build and are left out.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  Build,
  CheckInDevice,
  DeviceCommand,
  DeviceEvent,
  DeviceProfile,
  DeviceProfileChange,
  DeviceView,
  PatchCatalogCommand,
  PatchDefinition,
  PatchState,
  RegisteredDevice,
  ReleaseCatalog,
  ServicingAssessment,
  assessServicing,
  decideDevice,
  describeDevice,
  evolveDevice,
  initialDeviceState,
} from '@patchstate/domain';
import { applyHotpatch, commandMetadata, commitOnReboot, registerDevice, reportHotpatchFailure, stageUpdate } from '../../../test/builders';
import { judgedAt, registeredStateAfter } from './given.helper.spec';

export const RELEASES_FILE = path.join(__dirname, '../../../../shared/data/windows-releases.json');

interface ReleaseRow {
  kb: string;
  month: string;
  releasedAt?: string;
  kind: PatchDefinition['kind'];
  product: PatchDefinition['products'][number];
  builds?: PatchDefinition['builds'];
  baselineKb?: string;
  architectures?: PatchDefinition['architectures'];
  sharedWith?: PatchDefinition['products'];
  cves?: string[];
}

export function releaseOf(row: ReleaseRow): PatchDefinition {
  if (row.releasedAt === undefined) throw new Error(`${row.kb} has builds but no release date: the helper assumes every such row has one`);
  return {
    patchId: row.kb,
    kind: row.kind,
    releasedAt: `${row.releasedAt}T00:00:00Z`,
    products: [row.product, ...(row.sharedWith ?? [])],
    builds: row.builds ?? {},
    architectures: row.architectures ?? ['x64', 'arm64'],
    baselineKb: row.baselineKb ?? null,
    baselineBuilds: {},
    cves: row.cves ?? [],
    supersedes: [],
    replaces: [],
  };
}

const ROWS = JSON.parse(readFileSync(RELEASES_FILE, 'utf8')) as ReleaseRow[];

/** Every release of the file that names its builds. */
export const REAL_RELEASES: readonly PatchDefinition[] = ROWS.filter((row) => row.builds !== undefined).map(releaseOf);

export function realRelease(kb: string): PatchDefinition {
  const release = REAL_RELEASES.find((r) => r.patchId === kb);
  if (release === undefined) throw new Error(`${kb} is not a release with builds in ${RELEASES_FILE}`);
  return release;
}

/** The published catalog state of a real release, as the device decider receives it. */
export function realPatchState(kb: string): PatchState {
  return { status: 'published', patch: realRelease(kb) };
}

/**
 * The catalog of the real releases published by `asOf` (all of them without it), with `more` added or
 * replacing the release of the same KB: the catalog as an operator had imported it at that date.
 */
export function realCatalog(options: { asOf?: string; more?: PatchDefinition[] } = {}): ReleaseCatalog {
  const { asOf, more = [] } = options;
  const published = REAL_RELEASES.filter((r) => asOf === undefined || Date.parse(r.releasedAt) <= Date.parse(asOf));
  const byKb = new Map([...published, ...more].map((release) => [release.patchId, release]));
  return new ReleaseCatalog([...byKb.values()].map((patch) => ({ patch, revoked: false })));
}

export function checkIn(build: Build, options: { deviceId: string; at: string }): CheckInDevice {
  return { type: 'CheckInDevice', data: { deviceId: options.deviceId, build }, metadata: commandMetadata({ occurredAt: options.at }) };
}

export function importRelease(definition: PatchDefinition, at = '2026-04-01T09:00:00Z'): PatchCatalogCommand {
  return { type: 'ImportRelease', data: definition, metadata: commandMetadata({ occurredAt: at }) };
}

/**
 * A device's history decided command by command through a catalog of real releases, each step at the time
 * given. A step the decider refuses or rejects throws: the test's setup is wrong, not the code under test.
 * Each step returns a new history, so a test can keep an earlier one to compare with.
 */
export class RealDevice {
  constructor(
    readonly deviceId: string,
    private readonly catalog: ReleaseCatalog = realCatalog(),
    private readonly recorded: readonly DeviceEvent[] = [],
  ) {}

  registered(profile: Partial<DeviceProfile> & { build: Build }, at: string): RealDevice {
    return this.decide(registerDevice(profile, { deviceId: this.deviceId, at }), null);
  }

  checkedIn(build: Build, at: string): RealDevice {
    return this.decide(checkIn(build, { deviceId: this.deviceId, at }), null);
  }

  applied(kb: string, at: string): RealDevice {
    return this.decide(applyHotpatch(kb, { deviceId: this.deviceId, at }), realPatchState(kb));
  }

  staged(kb: string, at: string): RealDevice {
    return this.decide(stageUpdate(kb, { deviceId: this.deviceId, at }), realPatchState(kb));
  }

  rebooted(at: string): RealDevice {
    return this.decide(commitOnReboot({ deviceId: this.deviceId, at }), null);
  }

  failed(kb: string, at: string): RealDevice {
    return this.decide(reportHotpatchFailure(kb, { deviceId: this.deviceId, at }), realPatchState(kb));
  }

  get events(): DeviceEvent[] {
    return [...this.recorded];
  }

  get state(): RegisteredDevice {
    return registeredStateAfter(this.recorded);
  }

  /**
   * Where the device stands, judged against `catalog` (the one it was decided with, unless given) at `at` (by
   * default when it was last heard from).
   */
  servicing(catalog: ReleaseCatalog = this.catalog, at: string = this.state.lastSeenAt ?? '1970-01-01T00:00:00Z'): ServicingAssessment {
    return assessServicing(this.state, catalog, judgedAt(at));
  }

  /** The device as operators see it, judged at `at`. */
  view(at: string, catalog: ReleaseCatalog = this.catalog): DeviceView {
    return describeDevice(this.state, catalog, judgedAt(at));
  }

  profileReported(changes: DeviceProfileChange, at: string): RealDevice {
    return this.decide({ type: 'ReportDeviceProfile', data: { deviceId: this.deviceId, changes }, metadata: commandMetadata({ occurredAt: at }) }, null);
  }

  reverted(kb: string, at: string): RealDevice {
    return this.decide({ type: 'RevertHotpatch', data: { deviceId: this.deviceId, patchId: kb }, metadata: commandMetadata({ occurredAt: at }) }, null);
  }

  private decide(command: DeviceCommand, patch: PatchState | null): RealDevice {
    const state = this.recorded.reduce(evolveDevice, initialDeviceState);
    const decided = decideDevice(command, state, patch, this.catalog);
    const rejected = decided.find((event) => event.type === 'HotpatchRejected');
    if (rejected) throw new Error(`setup step ${command.type} was rejected: ${JSON.stringify(rejected.data)}`);
    return new RealDevice(this.deviceId, this.catalog, [...this.recorded, ...decided]);
  }
}

export function aRealDevice(deviceId: string, catalog?: ReleaseCatalog): RealDevice {
  return new RealDevice(deviceId, catalog);
}
