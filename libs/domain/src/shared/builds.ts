/**
 * Windows builds are `major.revision` (26100.2894). Each part compares as a number, never as text:
 * 26100.10000 is newer than 26100.9999.
 */
export type Build = string;

const BUILD_PATTERN = /^(\d{1,6})\.(\d{1,6})$/;

/** A major of 0 names no Windows build; refusing it keeps such a device out of every build comparison. */
export function isBuild(value: unknown): value is Build {
  const match = typeof value === 'string' ? BUILD_PATTERN.exec(value) : null;
  return match !== null && Number(match[1]) > 0;
}

export function parseBuild(build: Build): { major: number; revision: number } {
  const match = BUILD_PATTERN.exec(build);
  if (!match) throw new Error(`not a build: ${build}`);
  return { major: Number(match[1]), revision: Number(match[2]) };
}

export function compareBuilds(a: Build, b: Build): number {
  const left = parseBuild(a);
  const right = parseBuild(b);
  return left.major - right.major || left.revision - right.revision;
}

export function highestBuild(builds: readonly Build[]): Build | null {
  return builds.reduce<Build | null>((best, build) => (best === null || compareBuilds(build, best) > 0 ? build : best), null);
}
