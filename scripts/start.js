#!/usr/bin/env node
// `npm start`: runs the whole service locally. Uses the Postgres at the default address or, when none answers
// there and DATABASE_URL is unset, an embedded one (scripts/db/local-postgres.js); starts the local Kafka broker when
// KAFKA_BROKERS is unset; then the API (with the outbox relay) and the projector as two processes, stopped together.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const { URL } = require('node:url');
const { ensureBroker } = require('./kafka/local-broker.js');
const { ensureDatabase, shown } = require('./db/local-postgres.js');

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
  const database = await ensureDatabase({ env, log: (message) => console.log(`[postgres] ${message}`) });
  if (database.source === 'embedded') {
    const where = new URL(database.url).host;
    console.log(
      `[start] no Postgres answered at ${where} and DATABASE_URL is unset: using the embedded Postgres ` +
        `(${database.startedHere ? 'started' : 'already running'} at ${where}, data in ${shown(database.dataDir)}; ` +
        'it keeps running after the service stops, stop it with: npm run db:stop)',
    );
  }
  env.DATABASE_URL = database.url;
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
