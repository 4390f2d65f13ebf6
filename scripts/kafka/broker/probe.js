'use strict';
// Whether a broker answers, asked with kafkajs (the project's client, already installed): the only thing the broker
// scripts need from a Kafka client.
const { brokerLogTail } = require('./process.js');
const { removeRunFiles } = require('./run-files.js');
const { sleep, stopCommand } = require('./paths.js');

const STARTUP_TIMEOUT_MS = 120_000;
const noop = () => {};

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

/** Waits for a starting broker to be ready; fails with its log tail when it exits or stays silent for 120 s. */
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
      `stop it with '${stopCommand(p.instance)}'\n${brokerLogTail(p)}`,
  );
}

module.exports = { brokerIsUp, waitUntilUp };
