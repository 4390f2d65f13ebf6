import { ConfigError, DEFAULT_DATABASE_URL, loadConfig } from '@patchstate/config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  it('defaults every setting when the environment is empty', () => {
    expect(loadConfig({})).toMatchObject({
      http: { host: '0.0.0.0', port: 3000, bodyLimit: '64kb' },
      databaseUrl: DEFAULT_DATABASE_URL,
      kafka: {
        brokers: ['127.0.0.1:19092'],
        clientId: 'patchstate',
        topic: 'patchstate.events.v1',
        partitions: 6,
        projectorGroupId: 'patchstate-projector',
      },
      outbox: { batchSize: 500, safetyPollMs: 5000 },
      readYourWrites: { maxWaitMs: 5000 },
      compliance: { hotpatchDays: 7, restartDays: 14, staleAfterDays: 7 },
    });
  });

  it('reads the deadlines and staleness, and refuses days out of range at boot', () => {
    expect(loadConfig({ DEADLINE_HOTPATCH_DAYS: '5', DEADLINE_RESTART_DAYS: '10', STALE_AFTER_DAYS: '30' }).compliance).toEqual({
      hotpatchDays: 5,
      restartDays: 10,
      staleAfterDays: 30,
    });
    expect(() => loadConfig({ DEADLINE_HOTPATCH_DAYS: 'a week', STALE_AFTER_DAYS: '0' })).toThrow(/DEADLINE_HOTPATCH_DAYS[\s\S]*STALE_AFTER_DAYS/);
  });

  it('reads valid values, trimming blanks, and treats empty values as unset', () => {
    const config = loadConfig({
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: ' 8080 ',
      DATABASE_URL: 'postgresql://app:secret@db.internal:5432/patchstate_prod?sslmode=require',
      KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092 ,kafka-3.internal:19092',
      KAFKA_TOPIC: 'patchstate.events.v1',
      KAFKA_PARTITIONS: '12',
      OUTBOX_BATCH_SIZE: '',
    });
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(config.databaseUrl).toBe('postgresql://app:secret@db.internal:5432/patchstate_prod?sslmode=require');
    expect(config.kafka.brokers).toEqual(['kafka-1:9092', 'kafka-2:9092', 'kafka-3.internal:19092']);
    expect(config.kafka.partitions).toBe(12);
    expect(config.outbox.batchSize).toBe(500);
  });

  it.each([
    ['HTTP_PORT', 'abc'],
    ['HTTP_PORT', '65536'],
    ['HTTP_PORT', '-1'],
    ['HTTP_PORT', '80.5'],
    ['HTTP_PORT', '1e3'],
    ['HTTP_BODY_LIMIT', 'lots'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'postgres://localhost'],
    ['DATABASE_URL', 'not a url'],
    ['KAFKA_BROKERS', 'nohost'],
    ['KAFKA_BROKERS', 'kafka-1:9092,nohost'],
    ['KAFKA_BROKERS', ','],
    ['KAFKA_BROKERS', 'kafka-1:99999'],
    ['KAFKA_BROKERS', 'kafka-1:0'],
    ['KAFKA_TOPIC', 'events with spaces'],
    ['KAFKA_PARTITIONS', '0'],
    ['KAFKA_PARTITIONS', 'six'],
    ['OUTBOX_BATCH_SIZE', '0'],
    ['OUTBOX_SAFETY_POLL_MS', '10'],
    ['READ_YOUR_WRITES_MAX_WAIT_MS', 'soon'],
  ])('refuses %s=%j with a message that names the variable', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
    expect(problems[0]).toContain(JSON.stringify(value.trim()));
  });

  it('reports every bad value at once, in one error whose message names each variable', () => {
    let caught: unknown;
    try {
      loadConfig({ HTTP_PORT: 'abc', KAFKA_BROKERS: 'nohost', DATABASE_URL: 'mysql://x' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const { problems, message } = caught as ConfigError;
    expect(problems).toHaveLength(3);
    for (const name of ['HTTP_PORT', 'KAFKA_BROKERS', 'DATABASE_URL']) expect(message).toContain(name);
  });
});
