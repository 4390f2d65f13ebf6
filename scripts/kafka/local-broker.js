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
// The pieces, by responsibility, are in broker/: paths.js (folders, ports, java), jars.js (Maven), storage.js
// (server.properties, logging config, KRaft format), process.js (the JVM), run-files.js (pid/state files, lock),
// probe.js (is it answering). This file puts them together and is the CLI.
//
// Named instances: a second, separate broker (own ports, own folder .local/kafka-<instance>/, same jar cache
// .local/kafka/libs) for tests that must stop and restart a broker without disturbing the shared one:
//
//   ensureBroker({ instance: 'restart-test', port: 19192, controllerPort: 19193 }); stopBroker({ instance: 'restart-test' })
//   node scripts/kafka/local-broker.js stop --instance restart-test

const fs = require('node:fs');
const path = require('node:path');
const { kafkaVersion } = require('./versions.js');
const { jarsResolved, resolveJars } = require('./broker/jars.js');
const { BASE_DIR, DEFAULT_INSTANCE, DEFAULT_PATHS, HOST, LIBS_DIR, REPO_ROOT, configuredPorts, instancePaths, javaBin, sleep, stopCommand } = require('./broker/paths.js');
const { brokerIsUp, waitUntilUp } = require('./broker/probe.js');
const { isBrokerProcess, portIsFree, processExists, spawnBroker, terminate } = require('./broker/process.js');
const { readPid, readState, removeRunFiles, runningBroker, withLock, writeRunFiles } = require('./broker/run-files.js');
const { formatStorage, writeConfig } = require('./broker/storage.js');

const noop = () => {};

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
      const hint = `stop it first (${stopCommand(instance)})`;
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
    writeRunFiles(p, { pid: child.pid, port, controllerPort, version: kafka.version });
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
    await terminate(pid, log);
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
