'use strict';
// The Kafka versions scripts/kafka can run: the 3.9 line and the 4.x line, chosen with LOCAL_KAFKA_VERSION ("3.9",
// "4", or an exact "3.9.x" / "4.y.z"). They differ in more than the jars, which is why this is more than a version
// property:
//  - logging: 3.9 logs through reload4j (log4j 1 properties); 4.x dropped it for log4j2, which reads its own file
//    format (-Dlog4j2.configurationFile), so each line has its pom (pom.xml, pom-4.xml) and its logging config;
//  - storage: a 4.x broker can read a 3.9 data folder but not the other way round, and a downgrade must never be
//    tried on someone's topics, so each line formats and keeps its own data folder (data/ and data-4/);
//  - jars: each version has its own jar cache. 3.9 keeps .local/kafka/libs (the folder a running 3.9 broker loads
//    its classes from: it must not be replaced under it), 4.x versions use .local/kafka/libs-<version>.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const LINES = {
  '3.9': { latest: '3.9.1', pom: 'pom.xml', logging: 'log4j1', dataDir: 'data' },
  4: { latest: '4.4.0', pom: 'pom-4.xml', logging: 'log4j2', dataDir: 'data-4' },
};
/**
 * The line `npm start` and `npm test` run when LOCAL_KAFKA_VERSION is unset: 4.x, since the Kafka-facing tests pass
 * on it (npm run test:kafka-compat runs them on the other line, 3.9, which the pom.xml comment still speaks of).
 */
const DEFAULT_LINE = '4';
const COMPAT_LINE = '3.9';

/**
 * The Kafka version asked for by `requested` (LOCAL_KAFKA_VERSION): a line ("3.9", "4", "4.x") means its newest
 * tested version, an exact "3.9.x" or "4.y.z" that version.
 * @returns {{ line: string, version: string, pom: string, logging: 'log4j1' | 'log4j2', dataDir: string }}
 */
function kafkaVersion(requested = process.env.LOCAL_KAFKA_VERSION) {
  const wanted = requested === undefined || requested === '' ? DEFAULT_LINE : String(requested).trim();
  const lineName = /^3\.9(\.|$)/.test(wanted) ? '3.9' : /^4(\.|$)/.test(wanted) ? '4' : null;
  const exact = /^\d+\.\d+\.\d+$/.test(wanted);
  if (lineName === null || !(exact || /^(3\.9|4|4\.x)$/.test(wanted))) {
    throw new Error(`LOCAL_KAFKA_VERSION must be 3.9, 4 or an exact 3.9.x / 4.y.z version, got '${requested}'`);
  }
  const line = LINES[lineName];
  return { line: lineName, version: exact ? wanted : line.latest, pom: path.join(__dirname, line.pom), logging: line.logging, dataDir: line.dataDir };
}

/** Where a version's jars are cached, and the marker that says the cache is complete for this pom and version. */
function jarCache(baseDir, kafka) {
  const pomText = fs.readFileSync(kafka.pom);
  // 3.9: the same marker as before versions existed (the pom's hash), so an existing cache stays valid.
  const hash = crypto.createHash('sha256').update(pomText);
  if (kafka.line !== '3.9' || kafka.version !== LINES['3.9'].latest) hash.update(`\nkafka.version=${kafka.version}`);
  const dir = kafka.line === '3.9' && kafka.version === LINES['3.9'].latest ? path.join(baseDir, 'libs') : path.join(baseDir, `libs-${kafka.version}`);
  return { dir, marker: path.join(dir, '.complete'), hash: hash.digest('hex'), mavenArgs: [`-Dkafka.version=${kafka.version}`] };
}

/** The logging config file the broker JVM is pointed at, and the JVM flag that points at it. */
function loggingConfig(configDir, kafka, serverLog) {
  const file = serverLog.replace(/\\/g, '/');
  if (kafka.logging === 'log4j1') return { file: path.join(configDir, 'log4j.properties'), text: log4j1(file), flag: 'log4j.configuration' };
  return { file: path.join(configDir, 'log4j2.properties'), text: log4j2(file), flag: 'log4j2.configurationFile' };
}

// Quiet loggers: the broker's routine INFO lines from these would drown what matters in server.log.
const QUIET = [
  'kafka.request.logger', 'kafka.network.RequestChannel$', 'state.change.logger', 'kafka.log.LogCleaner', 'kafka.controller',
  'kafka.coordinator', 'org.apache.kafka.coordinator', 'org.apache.kafka.storage', 'org.apache.kafka.raft', 'kafka.log',
  'org.apache.kafka.storage.internals.log', 'kafka.authorizer.logger',
];

// Everything goes to logs/server.log; nothing to the console (the JVM's stdout is redirected to kafka.out anyway).
function log4j1(file) {
  return [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.RollingFileAppender',
    `log4j.appender.file.File=${file}`,
    'log4j.appender.file.MaxFileSize=10MB',
    'log4j.appender.file.MaxBackupIndex=2',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka=INFO',
    'log4j.logger.org.apache.kafka=INFO',
    ...QUIET.map((name) => `log4j.logger.${name}=WARN`),
  ].join('\n');
}

function log4j2(file) {
  return [
    'status = warn',
    'appender.file.type = RollingFile',
    'appender.file.name = file',
    `appender.file.fileName = ${file}`,
    `appender.file.filePattern = ${file}.%i`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'appender.file.policies.type = Policies',
    'appender.file.policies.size.type = SizeBasedTriggeringPolicy',
    'appender.file.policies.size.size = 10MB',
    'appender.file.strategy.type = DefaultRolloverStrategy',
    'appender.file.strategy.max = 2',
    'rootLogger.level = info',
    'rootLogger.appenderRef.file.ref = file',
    ...QUIET.flatMap((name, i) => [`logger.q${i}.name = ${name}`, `logger.q${i}.level = warn`]),
  ].join('\n');
}

module.exports = { kafkaVersion, jarCache, loggingConfig, LINES, DEFAULT_LINE, COMPAT_LINE };
