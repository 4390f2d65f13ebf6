import { Build, parseBuild } from '../shared/builds';

/**
 * The OS versions a release names its builds by. Windows 11 24H2, 25H2 and 26H2 are one servicing branch
 * (26100, 26200 and 26300 with the same revision for the same release); `server` is for a server line of its
 * own, such as Windows Server 2022 (20348). Windows Server 2025 shares the 26100 line and is listed as 24H2.
 */
export const OS_VERSIONS = ['24H2', '25H2', '26H2', 'server'] as const;
export type OsVersion = (typeof OS_VERSIONS)[number];

/** The OS build of a release on each OS version it covers. */
export type OsBuilds = Partial<Record<OsVersion, Build>>;

const VERSION_BY_MAJOR: ReadonlyMap<number, OsVersion> = new Map([
  [26100, '24H2'],
  [26200, '25H2'],
  [26300, '26H2'],
  [20348, 'server'],
]);

/** 24H2, 25H2 and 26H2 are enablement packages on one branch: revision N carries the same fixes on each. */
const SHARED_BRANCH_MAJORS: ReadonlySet<number> = new Set([26100, 26200, 26300]);

export function osVersionOf(build: Build): OsVersion | null {
  return VERSION_BY_MAJOR.get(parseBuild(build).major) ?? null;
}

/** The servicing branch of a build: builds of one branch are ordered by revision alone. */
export function servicingBranchOf(build: Build): string {
  const { major } = parseBuild(build);
  return SHARED_BRANCH_MAJORS.has(major) ? 'ge-26x00' : String(major);
}

/** The release's build on the OS version of `deviceBuild` (same major), or null when it does not cover it. */
export function buildOnVersionOf(builds: OsBuilds, deviceBuild: Build): Build | null {
  const { major } = parseBuild(deviceBuild);
  return Object.values(builds).find((build) => build !== undefined && parseBuild(build).major === major) ?? null;
}

/** The release's revision on the device's branch (the same for every OS version of the branch), or null. */
export function revisionOnBranchOf(builds: OsBuilds, deviceBuild: Build): number | null {
  const branch = servicingBranchOf(deviceBuild);
  const build = Object.values(builds).find((b) => b !== undefined && servicingBranchOf(b) === branch);
  return build === undefined ? null : parseBuild(build).revision;
}

export function buildsOf(builds: OsBuilds): Build[] {
  return Object.values(builds).filter((build): build is Build => build !== undefined);
}
