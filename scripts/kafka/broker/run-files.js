'use strict';
// What says a broker runs: broker.pid (its pid) and broker.json (its ports and version), written at start and removed
// at stop; and the lock folder that serialises starts and stops across processes (two Jest runs, or `npm start`
// next to tests).
const fs = require('node:fs');
const path = require('node:path');
const { isBrokerProcess, processExists } = require('./process.js');
const { HOST, readFileOr, sleep } = require('./paths.js');

const LOCK_TIMEOUT_MS = 300_000;

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

function writeRunFiles(p, state) {
  fs.writeFileSync(p.pidFile, `${state.pid}\n`);
  fs.writeFileSync(p.stateFile, `${JSON.stringify({ ...state, startedAt: new Date().toISOString() }, null, 2)}\n`);
}

function removeRunFiles(p) {
  fs.rmSync(p.pidFile, { force: true });
  fs.rmSync(p.stateFile, { force: true });
}

/** The broker the pid file names, when that pid is alive and a broker; its port from broker.json, else fallbackPort. */
function runningBroker(p, fallbackPort) {
  const pid = readPid(p);
  if (pid === null || !isBrokerProcess(pid)) return null;
  const state = readState(p);
  const port = state && state.pid === pid && Number.isInteger(state.port) ? state.port : fallbackPort;
  if (port === undefined) return null;
  return { pid, port, brokers: `${HOST}:${port}` };
}

// mkdir is atomic: whoever creates the folder holds the lock. A lock whose owner died (or, without an owner file,
// older than 5 s; any older than the timeout) is taken over.
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

module.exports = { readPid, readState, writeRunFiles, removeRunFiles, runningBroker, withLock };
