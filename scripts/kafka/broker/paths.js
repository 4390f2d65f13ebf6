'use strict';
// Where a local broker lives and on which ports (the default instance in .local/kafka, a named one in
// .local/kafka-<instance>), and which java runs it. Everything else in scripts/kafka/broker works from these.
const fs = require('node:fs');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const BASE_DIR = path.join(REPO_ROOT, '.local', 'kafka');
// The jar caches (one per Kafka version, versions.js) are shared by every instance; this one is 3.9's.
const LIBS_DIR = path.join(BASE_DIR, 'libs');
const DEFAULT_INSTANCE = 'default';
const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const HOST = '127.0.0.1';
const DEFAULT_PORT = 19092;
const DEFAULT_CONTROLLER_PORT = 19093;

/** Where an instance keeps its data, logs, config, pid and lock: .local/kafka for the default one. */
function instancePaths(instance = DEFAULT_INSTANCE) {
  if (!INSTANCE_NAME.test(instance)) throw new Error(`invalid broker instance name '${instance}'`);
  const base = instance === DEFAULT_INSTANCE ? BASE_DIR : path.join(REPO_ROOT, '.local', `kafka-${instance}`);
  const logs = path.join(base, 'logs');
  const config = path.join(base, 'config');
  return {
    instance,
    base,
    data: path.join(base, 'data'),
    logs,
    config,
    serverProperties: path.join(config, 'server.properties'),
    clusterIdFile: path.join(base, 'cluster.id'),
    pidFile: path.join(base, 'broker.pid'),
    stateFile: path.join(base, 'broker.json'),
    lockDir: path.join(base, '.lock'),
    serverLog: path.join(logs, 'server.log'),
    stdoutLog: path.join(logs, 'kafka.out'),
  };
}

const DEFAULT_PATHS = instancePaths();

function portFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a TCP port, got '${raw}'`);
  return port;
}

// The default instance reads its ports from the environment; a named instance must be given its own.
function configuredPorts(options = {}) {
  const named = (options.instance ?? DEFAULT_INSTANCE) !== DEFAULT_INSTANCE;
  if (named && (options.port === undefined || options.controllerPort === undefined)) {
    throw new Error(`broker instance '${options.instance}' needs its own port and controllerPort`);
  }
  const port = options.port ?? portFromEnv('LOCAL_KAFKA_PORT', DEFAULT_PORT);
  const controllerPort = options.controllerPort ?? portFromEnv('LOCAL_KAFKA_CONTROLLER_PORT', DEFAULT_CONTROLLER_PORT);
  for (const [name, value] of [['port', port], ['controllerPort', controllerPort]]) {
    if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name} must be a TCP port, got '${value}'`);
  }
  if (port === controllerPort) throw new Error('the broker port and the controller port must differ');
  return { port, controllerPort };
}

/** The command that stops an instance, for messages. */
function stopCommand(instance) {
  return `node scripts/kafka/local-broker.js stop${instance === DEFAULT_INSTANCE ? '' : ` --instance ${instance}`}`;
}

// JAVA_HOME's java when it has one, else the one on PATH (scripts/preflight.js checks the same one).
function javaBin() {
  const home = process.env.JAVA_HOME;
  if (home) {
    const candidate = path.join(home, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
    if (fs.existsSync(candidate)) return candidate;
  }
  return 'java';
}

function readFileOr(file, fallback) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = {
  REPO_ROOT,
  BASE_DIR,
  LIBS_DIR,
  DEFAULT_INSTANCE,
  DEFAULT_PATHS,
  HOST,
  instancePaths,
  configuredPorts,
  stopCommand,
  javaBin,
  readFileOr,
  sleep,
};
