// The preflight of `npm start` (scripts/preflight.js) on machines played by an injected probe: each missing tool is
// named with its install command on every platform, and the exit code is non-zero.
interface Probe {
  nodeVersion?: string;
  run?: (command: string, args: string[]) => string | null;
  env?: Record<string, string>;
  platform?: string | null;
}
interface Preflight {
  preflight(probe: Probe, print: (text: string) => void): number;
  detectPlatform(platform: string, osRelease: string): string | null;
  javaMajor(output: string | null): number | null;
}
// Plain CommonJS without type declarations; typed by the interface above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { preflight, detectPlatform, javaMajor } = require('../../scripts/preflight.js') as Preflight;

const JAVA_17 = 'openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6)';
const MAVEN = 'Apache Maven 3.8.7';

/** A machine with Node 20, Java 17 and Maven, less what `without` names (or with the given java output). */
function machine(without: string[] = [], java = JAVA_17): Probe {
  return {
    nodeVersion: without.includes('node') ? '18.19.0' : '20.20.2',
    env: {},
    platform: 'debian',
    run: (command) => {
      if (command === 'java') return without.includes('java') ? null : java;
      if (command === 'mvn') return without.includes('maven') ? null : MAVEN;
      throw new Error(`unexpected command ${command}`);
    },
  };
}

function runPreflight(probe: Probe): { code: number; text: string } {
  let text = '';
  const code = preflight(probe, (printed) => (text += printed));
  return { code, text };
}

describe('npm start preflight', () => {
  it('passes quietly when Node 20+, Java 17+ and Maven are there', () => {
    expect(runPreflight(machine())).toEqual({ code: 0, text: '' });
  });

  it.each([
    ['node', 'Node.js 20 or newer', 'Node.js 18.19.0 is too old', ['sudo apt-get install -y nodejs npm', 'sudo dnf install -y nodejs', 'brew install node', 'winget install OpenJS.NodeJS.LTS']],
    ['java', 'Java 17 or newer', "'java' not found", ['openjdk-17-jre-headless', 'sudo dnf install -y java-21-openjdk-headless', 'brew install openjdk@21', 'winget install EclipseAdoptium.Temurin.21.JDK']],
    ['maven', 'Apache Maven', "'mvn' not found", ['sudo apt-get install -y maven', 'sudo dnf install -y maven', 'brew install maven', 'winget install Apache.Maven']],
  ])('without %s: names it, prints the install command per platform and exits non-zero', (tool, name, problem, commands) => {
    const { code, text } = runPreflight(machine([tool]));
    expect(code).toBe(1);
    expect(text).toContain(`${name}: ${problem}`);
    for (const command of commands) expect(text).toContain(command);
    for (const platform of ['Debian/Ubuntu (this machine):', 'Fedora:', 'macOS:', 'Windows:']) expect(text).toContain(platform);
    for (const other of ['node', 'java', 'maven'].filter((t) => t !== tool)) {
      expect(text).not.toContain({ node: 'Node.js 20 or newer', java: 'Java 17 or newer', maven: 'Apache Maven' }[other]);
    }
  });

  it('refuses a Java older than 17', () => {
    const { code, text } = runPreflight(machine([], 'java version "1.8.0_392"'));
    expect(code).toBe(1);
    expect(text).toContain('Java 8 is too old');
  });

  it('names every missing tool at once', () => {
    const { code, text } = runPreflight(machine(['node', 'java', 'maven']));
    expect(code).toBe(1);
    expect(text.match(/Install it with:/g)).toHaveLength(3);
  });

  it('asks for neither Java nor Maven when KAFKA_BROKERS names a cluster (no local broker)', () => {
    const probe = { ...machine(['java', 'maven']), env: { KAFKA_BROKERS: 'kafka.example:9092' } };
    expect(runPreflight(probe)).toEqual({ code: 0, text: '' });
  });

  it('puts this machine first and knows the four platforms', () => {
    expect(detectPlatform('linux', 'ID=ubuntu\nID_LIKE=debian\n')).toBe('debian');
    expect(detectPlatform('linux', 'ID="fedora"\n')).toBe('fedora');
    expect(detectPlatform('darwin', '')).toBe('macos');
    expect(detectPlatform('win32', '')).toBe('windows');
    expect(detectPlatform('linux', 'ID=alpine\n')).toBeNull();
    const { text } = runPreflight({ ...machine(['maven']), platform: 'macos' });
    expect(text.indexOf('macOS (this machine):')).toBeLessThan(text.indexOf('Debian/Ubuntu:'));
  });

  it('reads the Java major version from both version schemes', () => {
    expect(javaMajor(JAVA_17)).toBe(17);
    expect(javaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(javaMajor('java version "1.8.0_392"')).toBe(8);
    expect(javaMajor(null)).toBeNull();
  });
});
