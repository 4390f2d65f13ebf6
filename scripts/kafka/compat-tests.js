#!/usr/bin/env node
'use strict';
// `npm run test:kafka-compat`: the Kafka-facing integration and e2e tests against the other supported broker line
// (versions.js COMPAT_LINE, the one `npm test` does not run; LOCAL_KAFKA_COMPAT_VERSION picks another), so that CI
// covers both.
// The broker is a named instance of its own (own ports and folder), never the shared one that `npm test` and other
// runs use; it is stopped at the end unless it was already running or KEEP_KAFKA=1. The broker-restart test starts
// its own restart instance with the same version (it reads LOCAL_KAFKA_VERSION).
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { ensureBroker, stopBroker } = require('./local-broker.js');
const { kafkaVersion, COMPAT_LINE } = require('./versions.js');

const ROOT = path.resolve(__dirname, '..', '..');
const BROKER = { instance: 'compat', port: 19292, controllerPort: 19293 };

// What talks to Kafka: the broker smoke test, the outbox relay (leader election, broker unreachable), two projectors
// rebalancing in one consumer group, exactly-once delivery of a fleet story, and a broker stop and restart.
const TESTS = [
  'test/kafka/local-broker.int.spec.ts',
  'libs/messaging/test/outbox-relay.int.spec.ts',
  'test/projector/shared-partitions.int.spec.ts',
  'test/e2e/kafka-delivery.e2e.spec.ts',
  'test/e2e/broker-restart.e2e.spec.ts',
];

async function main() {
  const version = kafkaVersion(process.env.LOCAL_KAFKA_COMPAT_VERSION || COMPAT_LINE).version;
  const log = (message) => process.stderr.write(`[kafka-compat] ${message}\n`);
  log(`running the Kafka-facing tests against Kafka ${version} (broker '${BROKER.instance}' on port ${BROKER.port})`);
  const { brokers, startedHere } = await ensureBroker({ ...BROKER, version, log });
  let status = 1;
  try {
    const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
    const result = spawnSync(
      process.execPath,
      [jest, '--runInBand', '--selectProjects', 'int', 'e2e', '--runTestsByPath', ...TESTS, ...process.argv.slice(2)],
      { cwd: ROOT, stdio: 'inherit', env: { ...process.env, KAFKA_BROKERS: brokers, LOCAL_KAFKA_VERSION: version } },
    );
    status = result.status ?? 1;
  } finally {
    if (startedHere && process.env.KEEP_KAFKA !== '1') await stopBroker({ instance: BROKER.instance, log });
  }
  log(`Kafka ${version}: ${status === 0 ? 'all passed' : `failed (exit ${status})`}`);
  return status;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`[kafka-compat] ${error && error.message ? error.message : error}\n`);
    process.exit(1);
  },
);
