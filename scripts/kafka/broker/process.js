'use strict';
// The broker's JVM process: finding java, spawning the broker detached (it outlives `npm start` and Jest), telling
// whether a pid really is our broker, and stopping it.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { classpath } = require('./jars.js');
const { loggingFlag } = require('./storage.js');
const { HOST, REPO_ROOT, javaBin, readFileOr, sleep } = require('./paths.js');

const STOP_TIMEOUT_MS = 30_000;

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

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function tail(file, lines = 40) {
  const text = readFileOr(file, null);
  if (text === null) return `(no ${path.basename(file)})`;
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The end of both broker logs, for an error message about a broker that would not start. */
function brokerLogTail(p) {
  return `--- ${path.relative(REPO_ROOT, p.stdoutLog)} (tail) ---\n${tail(p.stdoutLog, 20)}\n` +
    `--- ${path.relative(REPO_ROOT, p.serverLog)} (tail) ---\n${tail(p.serverLog, 40)}`;
}

// Detached, its output appended to logs/kafka.out; `exit` fills in when the JVM ends or could not be spawned.
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
        classpath(kafka),
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

/** SIGTERM (a clean shutdown keeps the logs consistent), SIGKILL when the broker is still there after 30 s. */
async function terminate(pid, log) {
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
}

module.exports = { processExists, isBrokerProcess, portIsFree, brokerLogTail, spawnBroker, terminate };
