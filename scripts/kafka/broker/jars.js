'use strict';
// The broker's jars, resolved from Maven Central with scripts/kafka/pom.xml or pom-4.xml into a cache per version
// (versions.js jarCache); a marker holding the pom's hash says the cache is complete, so Maven runs once.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { jarCache } = require('../versions.js');
const { BASE_DIR, REPO_ROOT, readFileOr } = require('./paths.js');

const MAVEN_DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

function jarsResolved(kafka) {
  const jars = jarCache(BASE_DIR, kafka);
  return readFileOr(jars.marker, '').trim() === jars.hash;
}

/** The classpath of a version's broker: every jar of its cache. */
function classpath(kafka) {
  return path.join(jarCache(BASE_DIR, kafka).dir, '*');
}

// Resolved into a temporary folder renamed into place at the end, so an interrupted run never leaves a cache that
// looks complete.
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
    { cwd: path.dirname(kafka.pom), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
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

module.exports = { jarsResolved, resolveJars, classpath };
