import { compareBuilds, highestBuild, isBuild, parseBuild } from '@patchstate/domain';

describe('builds', () => {
  it('compare each part as a number, never as text: 26100.10000 is newer than 26100.9999', () => {
    expect(compareBuilds('26100.10000', '26100.9999')).toBeGreaterThan(0);
    expect(compareBuilds('26100.9999', '26100.10000')).toBeLessThan(0);
    expect('26100.10000' > '26100.9999').toBe(false); // what a text comparison would wrongly say
  });

  it('compare the major part first', () => {
    expect(compareBuilds('26100.1', '22631.9999')).toBeGreaterThan(0);
    expect(compareBuilds('20348.3207', '26100.2894')).toBeLessThan(0);
  });

  it('are equal only when both parts are', () => {
    expect(compareBuilds('26100.2894', '26100.2894')).toBe(0);
  });

  it('place a September 2025 hotpatch (26100.6508) below the same month\'s cumulative (26100.6584)', () => {
    expect(compareBuilds('26100.6508', '26100.6584')).toBeLessThan(0);
  });

  it('pick the highest of a list numerically, or none from an empty list', () => {
    expect(highestBuild(['26100.9999', '26100.10000', '26100.2894'])).toBe('26100.10000');
    expect(highestBuild([])).toBeNull();
  });

  it('are major.revision and nothing else', () => {
    expect(isBuild('26100.2894')).toBe(true);
    for (const bad of ['26100', '10.0.26100.2894', '26100.', '.2894', 'v26100.2894', ' 26100.2894', 26100.2894, null]) {
      expect(isBuild(bad)).toBe(false);
    }
    expect(parseBuild('26100.2894')).toEqual({ major: 26100, revision: 2894 });
    expect(() => parseBuild('26100')).toThrow('not a build');
  });
});
