'use strict';
// The first step of `npm start`: checks the tools it needs before anything starts, so that a fresh machine gets one
// clear list of what to install (with the command for its platform) instead of a failure half-way through a build
// or a Maven run. Node.js 20+ runs everything; Java 17+ and Maven are needed only for the local Kafka broker
// (scripts/kafka resolves its jars with Maven and runs it on the JVM), so they are not asked for when KAFKA_BROKERS
// names a cluster. The probe (how a command is run) is injected so that tests can play a machine without a tool.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const MIN_NODE = 20;
const MIN_JAVA = 17;

/** What to install, per platform: the command a person types there. */
const INSTALL = {
  node: {
    name: `Node.js ${MIN_NODE} or newer`,
    debian: 'sudo apt-get install -y nodejs npm   (Debian 13 / Ubuntu 24.04 or newer; older releases ship Node.js < 20: see https://nodejs.org)',
    fedora: 'sudo dnf install -y nodejs',
    macos: 'brew install node',
    windows: 'winget install OpenJS.NodeJS.LTS',
  },
  java: {
    name: `Java ${MIN_JAVA} or newer`,
    debian: 'sudo apt-get install -y openjdk-17-jre-headless   (or openjdk-21-jre-headless)',
    fedora: 'sudo dnf install -y java-21-openjdk-headless',
    macos: 'brew install openjdk@21   (then follow brew\'s note to put it on PATH, or set JAVA_HOME)',
    windows: 'winget install EclipseAdoptium.Temurin.21.JDK',
  },
  maven: {
    name: 'Apache Maven',
    debian: 'sudo apt-get install -y maven',
    fedora: 'sudo dnf install -y maven',
    macos: 'brew install maven',
    windows: 'winget install Apache.Maven',
  },
};
const PLATFORMS = [
  ['debian', 'Debian/Ubuntu'],
  ['fedora', 'Fedora'],
  ['macos', 'macOS'],
  ['windows', 'Windows'],
];

/** Which of the four platforms this machine is, to put its line first; null when none of them. */
function detectPlatform(platform = process.platform, osRelease = readOsRelease()) {
  if (platform === 'darwin') return 'macos';
  if (platform === 'win32') return 'windows';
  if (platform !== 'linux') return null;
  const ids = `${/^ID=(.*)$/m.exec(osRelease)?.[1] ?? ''} ${/^ID_LIKE=(.*)$/m.exec(osRelease)?.[1] ?? ''}`.replace(/"/g, '');
  if (/\b(debian|ubuntu)\b/.test(ids)) return 'debian';
  if (/\b(fedora|rhel|centos)\b/.test(ids)) return 'fedora';
  return null;
}

function readOsRelease() {
  try {
    return fs.readFileSync('/etc/os-release', 'utf8');
  } catch {
    return '';
  }
}

/** Runs a command and returns its output, or null when it cannot run or fails (the default probe). */
function runCommand(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', shell: process.platform === 'win32', timeout: 30_000 });
  if (result.error || result.status !== 0) return null;
  return `${result.stdout || ''}${result.stderr || ''}`;
}

/** The major version in `java -version` output: 'openjdk version "17.0.15"' -> 17, '"1.8.0_392"' -> 8. */
function javaMajor(output) {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output || '');
  if (!match) return null;
  return match[1] === '1' ? Number(match[2]) : Number(match[1]);
}

/** The java that the local broker will run: JAVA_HOME's when it has one, else the one on PATH (as local-broker.js). */
function javaCommand(env, exists = fs.existsSync) {
  if (env.JAVA_HOME) {
    const candidate = path.join(env.JAVA_HOME, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
    if (exists(candidate)) return candidate;
  }
  return 'java';
}

/**
 * What is missing or too old, as [{ tool, problem }]; empty when all is there.
 * @param {{ nodeVersion?: string, run?: (command: string, args: string[]) => string | null, env?: object }} [probe]
 */
function check({ nodeVersion = process.versions.node, run = runCommand, env = process.env } = {}) {
  const missing = [];
  const nodeMajor = Number(String(nodeVersion).split('.')[0]);
  if (!(nodeMajor >= MIN_NODE)) missing.push({ tool: 'node', problem: `Node.js ${nodeVersion} is too old` });
  if (env.KAFKA_BROKERS) return missing; // no local broker: no JVM, no Maven
  const java = javaCommand(env);
  const javaOutput = run(java, ['-version']);
  const major = javaMajor(javaOutput);
  if (javaOutput === null) missing.push({ tool: 'java', problem: `'${java}' not found` });
  else if (major === null || major < MIN_JAVA) missing.push({ tool: 'java', problem: `Java ${major ?? '(unknown version)'} is too old` });
  const mvn = env.MVN || (process.platform === 'win32' ? 'mvn.cmd' : 'mvn');
  if (run(mvn, ['-v']) === null) missing.push({ tool: 'maven', problem: `'${mvn}' not found` });
  return missing;
}

/** The message for what is missing: each tool, then the install command on every platform, this machine's first. */
function describe(missing, current = detectPlatform()) {
  const ordered = [...PLATFORMS].sort(([a], [b]) => Number(b === current) - Number(a === current));
  const lines = ['npm start needs tools that this machine lacks:'];
  for (const { tool, problem } of missing) {
    lines.push('', `  ${INSTALL[tool].name}: ${problem}. Install it with:`);
    for (const [key, label] of ordered) lines.push(`    ${`${label}${key === current ? ' (this machine)' : ''}:`.padEnd(30)} ${INSTALL[tool][key]}`);
  }
  if (missing.some(({ tool }) => tool !== 'node')) {
    lines.push('', '  Java and Maven run the local Kafka broker; with KAFKA_BROKERS set to a running cluster they are not needed.');
  }
  return lines.join('\n');
}

/** Checks and, when something is missing, prints what to install; returns the exit code (0 when all is there). */
function preflight(probe = {}, print = (text) => process.stderr.write(`${text}\n`)) {
  const missing = check(probe);
  if (missing.length === 0) return 0;
  print(describe(missing, probe.platform === undefined ? detectPlatform() : probe.platform));
  return 1;
}

module.exports = { preflight, check, describe, detectPlatform, javaMajor };

if (require.main === module) process.exitCode = preflight();
