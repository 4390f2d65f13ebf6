'use strict';
// Starts and stops a real single-node Apache Kafka broker, 3.9 or 4.x (LOCAL_KAFKA_VERSION, see versions.js; KRaft,
// combined broker + controller) for local development and tests. The broker's jars are resolved from Maven Central
// with scripts/kafka/pom.xml or pom-4.xml (no Docker, no tarball), everything else lives under <repo>/.local/kafka:
//
//   libs/         the 3.9 broker's jars (+ .complete, a marker holding the hash of pom.xml; present => skip Maven)
//   libs-<v>/     the jars of another version, e.g. libs-4.4.0/
//   data/         KRaft metadata and topic logs of the 3.9 line (data-4/ for 4.x); survives stop/start
//   logs/         server.log (log4j) and kafka.out (the JVM's stdout/stderr)
//   config/       server.properties and log4j.properties (4.x: log4j2.properties), rewritten on every start
//   cluster.id    the cluster id used to format data/ (generated once)
//   broker.pid    pid of the running broker; broker.json holds its ports
//
// Used by `npm start`, by Jest's global setup and by CI; plain CommonJS so that it needs no build step.
//
//   node scripts/kafka/local-broker.js start    # prints KAFKA_BROKERS=127.0.0.1:19092 on stdout
//   node scripts/kafka/local-broker.js status   # exit 0 when running and answering, 3 otherwise
//   node scripts/kafka/local-broker.js stop
//
// Ports: LOCAL_KAFKA_PORT (default 19092) and LOCAL_KAFKA_CONTROLLER_PORT (default 19093).
//
// Named instances: a second, separate broker (own ports, own folder .local/kafka-<instance>/, same jar cache
// .local/kafka/libs) for tests that must stop and restart a broker without disturbing the shared one:
//
//   ensureBroker({ instance: 'restart-test', port: 19192, controllerPort: 19193 }); stopBroker({ instance: 'restart-test' })
//   node scripts/kafka/local-broker.js stop --instance restart-test

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const { kafkaVersion, jarCache, loggingConfig } = require('./versions.js');
const BASE_DIR = path.join(REPO_ROOT, '.local', 'kafka');
// The jar caches (one per Kafka version, versions.js) are shared by every instance; this one is 3.9's.
const LIBS_DIR = path.join(BASE_DIR, 'libs');
const DEFAULT_INSTANCE = 'default';
const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

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

const HOST = '127.0.0.1';
const DEFAULT_PORT = 19092;
const DEFAULT_CONTROLLER_PORT = 19093;
const MAVEN_DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const STARTUP_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const LOCK_TIMEOUT_MS = 300_000;

const noop = () => {};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

function tail(file, lines = 40) {
  const text = readFileOr(file, null);
  if (text === null) return `(no ${path.basename(file)})`;
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function brokerLogTail(p) {
  return `--- ${path.relative(REPO_ROOT, p.stdoutLog)} (tail) ---\n${tail(p.stdoutLog, 20)}\n` +
    `--- ${path.relative(REPO_ROOT, p.serverLog)} (tail) ---\n${tail(p.serverLog, 40)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// process helpers

function processExists(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code === 'EPERM') return true; // exists, owned by someone else
    return false;
  }
  // A zombie (exited, not yet reaped by its parent) still answers kill(0); treat it as gone.
  const stat = readFileOr(`/proc/${pid}/stat`, null);
  if (stat !== null) {
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  }
  return true;
}

// True when pid is alive and (where /proc allows checking) really is a Kafka broker JVM, so that a recycled pid is
// never mistaken for our broker, nor signalled.
function isBrokerProcess(pid) {
  if (!processExists(pid)) return false;
  const cmdline = readFileOr(`/proc/${pid}/cmdline`, null);
  if (cmdline === null) return fs.existsSync('/proc/self') ? false : true;
  return cmdline.includes('kafka.Kafka');
}

function readPid(p) {
  const raw = readFileOr(p.pidFile, '').trim();
  const pid = Number(raw);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function readState(p) {
  try {
    return JSON.parse(fs.readFileSync(p.stateFile, 'utf8'));
  } catch {
    return null;
  }
}

function removeRunFiles(p) {
  fs.rmSync(p.pidFile, { force: true });
  fs.rmSync(p.stateFile, { force: true });
}

function runningBroker(p, fallbackPort) {
  const pid = readPid(p);
  if (pid === null || !isBrokerProcess(pid)) return null;
  const state = readState(p);
  const port = state && state.pid === pid && Number.isInteger(state.port) ? state.port : fallbackPort;
  if (port === undefined) return null;
  return { pid, port, brokers: `${HOST}:${port}` };
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// lock: serialises ensureBroker/stopBroker across processes (e.g. two Jest runs, or `npm start` next to tests)

async function withLock(p, fn) {
  const LOCK_DIR = p.lockDir;
  fs.mkdirSync(p.base, { recursive: true });
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      fs.mkdirSync(LOCK_DIR);
      fs.writeFileSync(path.join(LOCK_DIR, 'owner'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const owner = Number(readFileOr(path.join(LOCK_DIR, 'owner'), '').trim());
      let ageMs = 0;
      try {
        ageMs = Date.now() - fs.statSync(LOCK_DIR).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      const ownerGone = Number.isInteger(owner) && owner > 0 ? !processExists(owner) : ageMs > 5_000;
      if (ownerGone || ageMs > LOCK_TIMEOUT_MS) {
        fs.rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK_DIR} (held by pid ${owner})`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// setup steps

function jarsResolved(kafka) {
  const jars = jarCache(BASE_DIR, kafka);
  return readFileOr(jars.marker, '').trim() === jars.hash;
}

function resolveJars(kafka, log) {
  const { dir: LIBS_DIR, hash, mavenArgs } = jarCache(BASE_DIR, kafka);
  if (jarsResolved(kafka)) return;
  log(`resolving Kafka ${kafka.version} jars with Maven into ${path.relative(REPO_ROOT, LIBS_DIR)} (first run only) ...`);
  const started = Date.now();
  const tmp = `${LIBS_DIR}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const mvn = process.env.MVN || (process.platform === 'win32' ? 'mvn.cmd' : 'mvn');
  const result = spawnSync(
    mvn,
    [
      '-q',
      '-B',
      '-f',
      kafka.pom,
      ...mavenArgs,
      `${MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies`,
      `-DoutputDirectory=${tmp}`,
      '-DincludeScope=runtime',
    ],
    { cwd: __dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (result.error || result.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const reason = result.error
      ? result.error.code === 'ENOENT'
        ? `'${mvn}' not found: install Maven (e.g. apt-get install maven) and Java 17`
        : result.error.message
      : `exit code ${result.status}`;
    throw new Error(`Maven could not resolve the Kafka jars (${reason})\n${(result.stdout || '') + (result.stderr || '')}`);
  }
  const jars = fs.readdirSync(tmp).filter((f) => f.endsWith('.jar'));
  if (!jars.some((f) => /^kafka_2\.13-.*\.jar$/.test(f))) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`Maven finished but ${tmp} holds no kafka_2.13 jar`);
  }
  fs.writeFileSync(path.join(tmp, '.complete'), `${hash}\n`);
  fs.rmSync(LIBS_DIR, { recursive: true, force: true });
  fs.renameSync(tmp, LIBS_DIR);
  log(`resolved ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// Kafka cluster ids are 16 random bytes, base64url-encoded without padding (what `StorageTool random-uuid` prints).
function clusterId(p) {
  const existing = readFileOr(p.clusterIdFile, '').trim();
  if (existing) return existing;
  let id;
  do {
    id = crypto.randomBytes(16).toString('base64url');
  } while (id.startsWith('-')); // Kafka avoids ids that look like command-line flags
  fs.writeFileSync(p.clusterIdFile, `${id}\n`);
  return id;
}

function writeConfig(p, kafka, port, controllerPort) {
  fs.mkdirSync(p.config, { recursive: true });
  fs.mkdirSync(p.logs, { recursive: true });
  const props = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${HOST}:${controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': p.data,
    'num.partitions': '1',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '5',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '5',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'false',
    'delete.topic.enable': 'true',
    'num.network.threads': '2',
    'num.io.threads': '4',
    'num.recovery.threads.per.data.dir': '1',
    'log.retention.hours': '168',
    'log.segment.bytes': String(64 * 1024 * 1024),
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
  };
  const body = Object.entries(props)
    .map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`)
    .join('\n');
  fs.writeFileSync(p.serverProperties, `# generated by scripts/kafka/local-broker.js; rewritten on every start\n${body}\n`);

  const logging = loggingConfig(p.config, kafka, p.serverLog);
  fs.writeFileSync(logging.file, `${logging.text}\n`);
}

/** The JVM flag pointing the broker's logging at its config (log4j 1 for 3.9, log4j2 for 4.x). */
function loggingFlag(p, kafka) {
  const { file, flag } = loggingConfig(p.config, kafka, p.serverLog);
  return `-D${flag}=file:${file.replace(/\\/g, '/')}`;
}

function formatStorage(p, kafka, log) {
  if (fs.existsSync(path.join(p.data, 'meta.properties'))) return; // already formatted: keep topics and offsets
  const id = clusterId(p);
  log(`formatting KRaft storage in ${path.relative(REPO_ROOT, p.data)} (cluster id ${id})`);
  fs.mkdirSync(p.data, { recursive: true });
  const result = spawnSync(
    javaBin(),
    [
      '-Xmx256m',
      '-cp',
      path.join(jarCache(BASE_DIR, kafka).dir, '*'),
      loggingFlag(p, kafka),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      id,
      '-c',
      p.serverProperties,
      '--ignore-formatted',
    ],
    { cwd: p.base, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (result.error || result.status !== 0) {
    const reason = result.error
      ? result.error.code === 'ENOENT'
        ? `'${javaBin()}' not found: install Java 17 (e.g. apt-get install openjdk-17-jre-headless)`
        : result.error.message
      : `exit code ${result.status}`;
    throw new Error(`formatting Kafka storage failed (${reason})\n${(result.stdout || '') + (result.stderr || '')}`);
  }
}

function spawnBroker(p, kafka, port) {
  fs.mkdirSync(p.logs, { recursive: true });
  const out = fs.openSync(p.stdoutLog, 'a');
  fs.writeSync(out, `\n=== ${new Date().toISOString()} starting Kafka ${kafka.version} broker on ${HOST}:${port} ===\n`);
  let child;
  try {
    child = spawn(
      javaBin(),
      [
        '-Xms256m',
        '-Xmx512m',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dkafka.logs.dir=${p.logs}`,
        loggingFlag(p, kafka),
        '-cp',
        path.join(jarCache(BASE_DIR, kafka).dir, '*'),
        'kafka.Kafka',
        p.serverProperties,
      ],
      { cwd: p.base, detached: true, stdio: ['ignore', out, out], env: process.env },
    );
  } finally {
    fs.closeSync(out);
  }
  const exit = { code: undefined, error: undefined };
  child.once('error', (err) => {
    exit.error = err;
  });
  child.once('exit', (code, signal) => {
    exit.code = code === null ? signal : code;
  });
  child.unref();
  return { child, exit };
}

// ---------------------------------------------------------------------------------------------------------------
// public API

function probeClient(brokers) {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({
    clientId: 'local-broker-probe',
    brokers: String(brokers).split(',').map((b) => b.trim()).filter(Boolean),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 3_000,
    retry: { retries: 0 },
  });
  return kafka.admin({ retry: { retries: 0 } });
}

/**
 * Whether a Kafka broker answers at `brokers` ("host:port[,host:port]"): connects an admin client and asks for the
 * cluster description.
 * @param {string} brokers
 * @returns {Promise<boolean>}
 */
async function brokerIsUp(brokers) {
  const admin = probeClient(brokers);
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return Array.isArray(cluster.brokers) && cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(noop);
  }
}

// Startup readiness: the broker answers and its group coordinator is available (FindCoordinator also creates
// __consumer_offsets on a fresh cluster), so that the first consumer of a test does not race its loading.
async function brokerIsReady(brokers) {
  const admin = probeClient(brokers);
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (!Array.isArray(cluster.brokers) || cluster.brokers.length === 0) return false;
    await admin.describeGroups(['local-broker-probe']);
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(noop);
  }
}

async function waitUntilUp(p, brokers, isAlive, describeExit) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await brokerIsReady(brokers)) return;
    if (!isAlive()) {
      removeRunFiles(p);
      throw new Error(`the Kafka broker exited during startup (${describeExit()})\n${brokerLogTail(p)}`);
    }
    await sleep(300);
  }
  throw new Error(
    `the Kafka broker did not answer at ${brokers} within ${STARTUP_TIMEOUT_MS / 1000} s; ` +
      `stop it with 'node scripts/kafka/local-broker.js stop${p.instance === DEFAULT_INSTANCE ? '' : ` --instance ${p.instance}`}'\n${brokerLogTail(p)}`,
  );
}

/**
 * Makes sure a local broker is running and answering; starts one (resolving jars and formatting storage on the first
 * run) when none is. Without `instance`, the shared default broker (.local/kafka, LOCAL_KAFKA_PORT or 19092); with
 * `instance`, a separate broker in .local/kafka-<instance> on the given `port` and `controllerPort`.
 * @param {{ log?: (message: string) => void, instance?: string, port?: number, controllerPort?: number }} [options]
 * @returns {Promise<{ brokers: string, startedHere: boolean }>}
 */
async function ensureBroker({ log = noop, instance = DEFAULT_INSTANCE, port: wantedPort, controllerPort: wantedControllerPort, version } = {}) {
  const kafka = kafkaVersion(version ?? process.env.LOCAL_KAFKA_VERSION);
  // Each line keeps its own data folder (a 3.9 broker cannot read what 4.x wrote).
  const p = { ...instancePaths(instance), data: path.join(instancePaths(instance).base, kafka.dataDir) };
  const portOptions = { instance, port: wantedPort, controllerPort: wantedControllerPort };
  const { port, controllerPort } = configuredPorts(portOptions);
  if (instance !== DEFAULT_INSTANCE && !jarsResolved(kafka)) {
    // The jar caches belong to the default instance's folder: resolve them under that instance's lock.
    await withLock(DEFAULT_PATHS, async () => resolveJars(kafka, log));
  }
  return withLock(p, async () => {
    const running = runningBroker(p, port);
    const runningVersion = running && (readState(p)?.version ?? '3.9.1'); // brokers started before versions: 3.9.1
    if (running && runningVersion !== kafka.version) {
      // The shared broker serves other runs: use it as it is rather than stop it; a named one is a test's own.
      const hint = `stop it first (node scripts/kafka/local-broker.js stop${instance === DEFAULT_INSTANCE ? '' : ` --instance ${instance}`})`;
      if (instance !== DEFAULT_INSTANCE) throw new Error(`broker '${instance}' runs Kafka ${runningVersion}, not ${kafka.version}: ${hint}`);
      log(`the running broker is Kafka ${runningVersion}, not ${kafka.version} as asked; using it (to switch, ${hint})`);
    }
    if (running) {
      if (!(await brokerIsUp(running.brokers))) {
        log(`broker pid ${running.pid} is alive but not answering yet at ${running.brokers}; waiting`);
        await waitUntilUp(p, running.brokers, () => isBrokerProcess(running.pid), () => 'pid gone');
      }
      log(`reusing the running broker (pid ${running.pid}) at ${running.brokers}`);
      return { brokers: running.brokers, startedHere: false };
    }
    removeRunFiles(p);

    const brokers = `${HOST}:${port}`;
    if (!(await portIsFree(port))) {
      // Only the default instance may adopt a broker it did not start: a named one must be ours to stop.
      if (instance === DEFAULT_INSTANCE && (await brokerIsUp(brokers))) {
        log(`a Kafka broker not started by this script already answers at ${brokers}; using it`);
        return { brokers, startedHere: false };
      }
      throw new Error(`port ${port} on ${HOST} is in use by something else; set LOCAL_KAFKA_PORT or choose another port`);
    }
    if (!(await portIsFree(controllerPort))) {
      throw new Error(`controller port ${controllerPort} on ${HOST} is in use; set LOCAL_KAFKA_CONTROLLER_PORT or choose another port`);
    }

    const started = Date.now();
    resolveJars(kafka, log);
    writeConfig(p, kafka, port, controllerPort);
    formatStorage(p, kafka, log);
    log(`starting Kafka ${kafka.version} broker on ${brokers} (logs in ${path.relative(REPO_ROOT, p.logs)})`);
    const { child, exit } = spawnBroker(p, kafka, port);
    if (!child.pid) {
      await sleep(50); // let the 'error' event arrive
      const err = exit.error;
      throw new Error(
        `could not start java: ${err && err.code === 'ENOENT' ? `'${javaBin()}' not found, install Java 17` : err}`,
      );
    }
    fs.writeFileSync(p.pidFile, `${child.pid}\n`);
    fs.writeFileSync(
      p.stateFile,
      `${JSON.stringify({ pid: child.pid, port, controllerPort, version: kafka.version, startedAt: new Date().toISOString() }, null, 2)}\n`,
    );
    await waitUntilUp(
      p,
      brokers,
      () => exit.code === undefined && exit.error === undefined && processExists(child.pid),
      () => (exit.error ? String(exit.error) : `exit ${exit.code}`),
    );
    log(`Kafka ${kafka.version} broker up at ${brokers} (pid ${child.pid}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { brokers, startedHere: true };
  });
}

/**
 * Stops the broker started by ensureBroker (SIGTERM, SIGKILL after 30 s) and removes its pid file. Keeps data/.
 * Safe to call when nothing is running. `instance` selects a named broker; without it, the default one.
 * @param {{ log?: (message: string) => void, instance?: string }} [options]
 * @returns {Promise<void>}
 */
async function stopBroker({ log = noop, instance = DEFAULT_INSTANCE } = {}) {
  const p = instancePaths(instance);
  if (!fs.existsSync(p.base)) return;
  await withLock(p, async () => {
    const pid = readPid(p);
    if (pid === null || !isBrokerProcess(pid)) {
      removeRunFiles(p);
      return;
    }
    log(`stopping Kafka broker${instance === DEFAULT_INSTANCE ? '' : ` '${instance}'`} (pid ${pid})`);
    const started = Date.now();
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (processExists(pid) && Date.now() < deadline) await sleep(100);
    if (processExists(pid)) {
      log(`broker did not stop within ${STOP_TIMEOUT_MS / 1000} s; sending SIGKILL`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      const killDeadline = Date.now() + 5_000;
      while (processExists(pid) && Date.now() < killDeadline) await sleep(100);
    }
    removeRunFiles(p);
    log(`broker stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}

/**
 * The running broker started by ensureBroker, if any (pid file alive and answering).
 * @param {{ instance?: string }} [options]
 * @returns {Promise<{ running: boolean, pid?: number, brokers?: string }>}
 */
async function brokerStatus({ instance = DEFAULT_INSTANCE } = {}) {
  const fallbackPort = instance === DEFAULT_INSTANCE ? configuredPorts().port : undefined;
  const running = runningBroker(instancePaths(instance), fallbackPort);
  if (!running) return { running: false };
  return { running: await brokerIsUp(running.brokers), pid: running.pid, brokers: running.brokers };
}

module.exports = {
  ensureBroker,
  stopBroker,
  brokerIsUp,
  brokerStatus,
  instancePaths,
  paths: { BASE_DIR, LIBS_DIR, DATA_DIR: DEFAULT_PATHS.data, LOGS_DIR: DEFAULT_PATHS.logs },
};

// ---------------------------------------------------------------------------------------------------------------
// CLI

// Options: --instance <name>, --port <n>, --controller-port <n> (a named instance needs both ports to start).
function parseOptions(args) {
  const options = {};
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--instance') options.instance = value;
    else if (flag === '--port') options.port = Number(value);
    else if (flag === '--controller-port') options.controllerPort = Number(value);
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

async function main(argv) {
  const command = argv[0];
  const options = parseOptions(argv.slice(1));
  const log = (message) => process.stderr.write(`[kafka] ${message}\n`);
  switch (command) {
    case 'start': {
      const { brokers } = await ensureBroker({ log, ...options });
      process.stdout.write(`KAFKA_BROKERS=${brokers}\n`);
      return 0;
    }
    case 'stop':
      await stopBroker({ log, instance: options.instance });
      return 0;
    case 'status': {
      const status = await brokerStatus({ instance: options.instance });
      if (status.running) {
        process.stdout.write(`running pid=${status.pid} KAFKA_BROKERS=${status.brokers}\n`);
        return 0;
      }
      process.stdout.write(status.pid ? `not answering pid=${status.pid} (${status.brokers})\n` : 'stopped\n');
      return 3;
    }
    default:
      process.stderr.write('usage: node scripts/kafka/local-broker.js start|stop|status [--instance <name> --port <n> --controller-port <n>]\n');
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`[kafka] ${err && err.message ? err.message : err}\n`);
      process.exit(1);
    },
  );
}
