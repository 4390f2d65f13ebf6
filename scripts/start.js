#!/usr/bin/env node
// `npm start`: runs the whole service locally. Starts the local Kafka broker when KAFKA_BROKERS is unset,
// then the API (with the outbox relay) and the projector as two processes, and stops them together.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const { ensureBroker } = require('./kafka/local-broker.js');

const root = path.resolve(__dirname, '..');
const children = [];
let stopping = false;

function run(name, entry, env) {
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(root, entry)], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[start] ${name} exited (${signal ?? code}); stopping the others`);
    stop(code ?? 1);
  });
  children.push(child);
}

function stop(code) {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 2000).unref();
  Promise.all(children.map((child) => (child.exitCode !== null ? null : new Promise((resolve) => child.on('exit', resolve))))).then(() =>
    process.exit(code),
  );
}

async function main() {
  const env = { ...process.env };
  if (!env.KAFKA_BROKERS) {
    const { brokers, startedHere } = await ensureBroker({ log: (message) => console.log(`[kafka] ${message}`) });
    env.KAFKA_BROKERS = brokers;
    console.log(`[start] local Kafka broker ${startedHere ? 'started' : 'already running'} at ${brokers} (stop it with: npm run kafka:stop)`);
  }
  run('api', 'dist/apps/api/src/main.js', env);
  run('projector', 'dist/apps/projector/src/main.js', env);
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
}

main().catch((error) => {
  console.error(`[start] ${error && error.message ? error.message : error}`);
  process.exit(1);
});
