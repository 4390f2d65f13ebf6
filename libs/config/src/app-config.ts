import { readFileSync } from 'node:fs';

/**
 * Typed configuration, read once from the environment and validated at boot. A bad or missing value stops
 * the process with a message that names the variable, instead of failing later at first use.
 */
export interface AppConfig {
  http: { host: string; port: number; bodyLimit: string; requestLog: boolean };
  /** The gRPC server of the API process (same commands and queries as REST); port 0 picks a free one. */
  grpc: { host: string; port: number };
  databaseUrl: string;
  kafka: {
    brokers: string[];
    clientId: string;
    topic: string;
    partitions: number;
    projectorGroupId: string;
  };
  outbox: { batchSize: number; safetyPollMs: number };
  /** The projector's own HTTP port, for /metrics and /health. */
  projector: { httpPort: number };
  readYourWrites: { maxWaitMs: number };
  auth: {
    /** The first admin key on a fresh database; when absent one is generated and printed once. */
    bootstrapAdminKey: string | null;
    /** Health and metrics stay reachable without a key, for probes and scrapers. */
    openProbes: boolean;
    rateLimitPerMinute: number;
  };
  /**
   * Deadlines (days after a release for a device that does not run it: hotpatch kinds, restart-requiring kinds)
   * and how long a silent device stays trusted; the domain's CompliancePolicy.
   */
  compliance: { hotpatchDays: number; restartDays: number; staleAfterDays: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/patchstate';

export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const config: AppConfig = {
    http: {
      host: read.string('HTTP_HOST', '0.0.0.0'),
      port: read.port('HTTP_PORT', 3000),
      bodyLimit: read.string('HTTP_BODY_LIMIT', '64kb', /^\d+(b|kb|mb)$/, 'a size such as 64kb'),
      requestLog: read.boolean('REQUEST_LOG', true),
    },
    grpc: { host: read.string('GRPC_HOST', '0.0.0.0'), port: read.port('GRPC_PORT', 50051) },
    databaseUrl: read.string('DATABASE_URL', DEFAULT_DATABASE_URL, /^postgres(ql)?:\/\/.+\/[^/?]+/, 'a postgres:// URL with a database name'),
    kafka: {
      brokers: read.list('KAFKA_BROKERS', ['127.0.0.1:19092'], isHostPort, 'host:port'),
      clientId: read.string('KAFKA_CLIENT_ID', 'patchstate'),
      topic: read.string('KAFKA_TOPIC', 'patchstate.events.v1', /^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name'),
      partitions: read.integer('KAFKA_PARTITIONS', 6, 1, 1000),
      projectorGroupId: read.string('PROJECTOR_GROUP_ID', 'patchstate-projector'),
    },
    outbox: {
      batchSize: read.integer('OUTBOX_BATCH_SIZE', 500, 1, 10000),
      safetyPollMs: read.integer('OUTBOX_SAFETY_POLL_MS', 5000, 100, 600000),
    },
    projector: { httpPort: read.port('PROJECTOR_HTTP_PORT', 3001) },
    readYourWrites: { maxWaitMs: read.integer('READ_YOUR_WRITES_MAX_WAIT_MS', 5000, 0, 60000) },
    auth: {
      bootstrapAdminKey: read.secret('BOOTSTRAP_ADMIN_KEY'),
      openProbes: read.boolean('AUTH_OPEN_PROBES', true),
      rateLimitPerMinute: read.integer('RATE_LIMIT_PER_MINUTE', 1200, 1, 1_000_000),
    },
    compliance: {
      hotpatchDays: read.integer('DEADLINE_HOTPATCH_DAYS', 7, 0, 365),
      restartDays: read.integer('DEADLINE_RESTART_DAYS', 14, 0, 365),
      staleAfterDays: read.integer('STALE_AFTER_DAYS', 7, 1, 3650),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** `host:port` with a port a broker can listen on (1-65535): `kafka-1:99999` is a typo, not an address. */
function isHostPort(item: string): boolean {
  const match = /^[^:\s]+:(\d{1,5})$/.exec(item);
  return match !== null && Number(match[1]) >= 1 && Number(match[1]) <= 65535;
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string, pattern?: RegExp, hint?: string): string {
    const value = this.raw(name) ?? fallback;
    if (pattern && !pattern.test(value)) {
      this.problems.push(`${name}=${JSON.stringify(value)} is not ${hint ?? `matching ${pattern.source}`}`);
    }
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || parsed < min || parsed > max) {
      this.problems.push(`${name}=${JSON.stringify(value)} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return parsed;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    this.problems.push(`${name}=${JSON.stringify(value)} must be true or false`);
    return fallback;
  }

  /**
   * A secret from `NAME` or from the file named by `NAME_FILE` (for mounted secrets). Its value is never
   * echoed in a problem message.
   */
  secret(name: string): string | null {
    const direct = this.raw(name);
    const file = this.raw(`${name}_FILE`);
    if (direct !== undefined && file !== undefined) {
      this.problems.push(`set ${name} or ${name}_FILE, not both`);
      return null;
    }
    if (file !== undefined) {
      try {
        return readFileSync(file, 'utf8').trim();
      } catch {
        this.problems.push(`${name}_FILE=${JSON.stringify(file)} cannot be read`);
        return null;
      }
    }
    return direct ?? null;
  }

  port(name: string, fallback: number): number {
    return this.integer(name, fallback, 0, 65535);
  }

  list(name: string, fallback: string[], isValidItem: (item: string) => boolean, hint: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const items = value.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
    const bad = items.filter((item) => !isValidItem(item));
    if (items.length === 0 || bad.length > 0) {
      this.problems.push(`${name}=${JSON.stringify(value)} must be a comma-separated list of ${hint}`);
    }
    return items;
  }
}
