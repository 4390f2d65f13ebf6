import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { API_KEYS_CHANNEL, KeyCache, KeyRow, selectKeyRow } from './key-cache';
import { Principal, Role, isRole } from './roles';

/**
 * Keys look like `psk_<keyId>_<secret>`. The id finds the row; only sha256(secret) is stored (the secret is
 * 256 random bits, so a slow password hash adds nothing) and compared in constant time.
 */
const KEY_FORMAT = /^psk_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;
const NAME_FORMAT = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/;

export interface ApiKeyRecord {
  keyId: string;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

export class ApiKeyError extends Error {}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export class ApiKeys {
  private readonly cache: KeyCache | null;

  /** `cache`: the API's keys are looked up once, then kept until revoked (a CLI looks up nothing). */
  constructor(
    private readonly db: DataSource,
    options: { cache?: boolean } = {},
  ) {
    this.cache = options.cache ? new KeyCache(db) : null;
  }

  /** Returns the key in clear exactly once; only its hash is kept. */
  async create(input: { name: string; role: string; createdBy: string }): Promise<{ key: string; record: ApiKeyRecord }> {
    if (!NAME_FORMAT.test(input.name)) {
      throw new ApiKeyError(`name must be 1-64 letters, digits or . _ : @ - (got ${JSON.stringify(input.name)})`);
    }
    if (!isRole(input.role)) throw new ApiKeyError(`role must be one of device-agent, operator, auditor, admin`);
    const keyId = randomBytes(10).toString('hex').slice(0, 16);
    const secret = randomBytes(32).toString('base64url');
    try {
      await this.db.query('INSERT INTO api_keys (key_id, name, role, secret_sha256, created_by) VALUES ($1, $2, $3, $4, $5)', [
        keyId,
        input.name,
        input.role,
        digest(secret),
        input.createdBy,
      ]);
    } catch (error) {
      if ((error as { driverError?: { code?: string }; code?: string }).driverError?.code === '23505') {
        throw new ApiKeyError(`a key named ${input.name} already exists (names identify actors, so they are never reused)`);
      }
      throw error;
    }
    const [record] = await this.list({ keyId });
    return { key: `psk_${keyId}_${secret}`, record };
  }

  async list(filter: { keyId?: string } = {}): Promise<ApiKeyRecord[]> {
    const rows: { key_id: string; name: string; role: Role; created_at: Date; created_by: string; revoked_at: Date | null }[] =
      await this.db.query(
        `SELECT key_id, name, role, created_at, created_by, revoked_at FROM api_keys
         ${filter.keyId ? 'WHERE key_id = $1' : ''} ORDER BY created_at, name`,
        filter.keyId ? [filter.keyId] : [],
      );
    return rows.map((row) => ({
      keyId: row.key_id,
      name: row.name,
      role: row.role,
      createdAt: new Date(row.created_at).toISOString(),
      createdBy: row.created_by,
      revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
    }));
  }

  /**
   * Revokes by name or key id: in this process for the very next request; in every other one as soon as the
   * notification sent at commit arrives (milliseconds; while a process's listener is down it does not cache).
   */
  async revoke(nameOrKeyId: string): Promise<ApiKeyRecord> {
    const rows: { key_id: string }[] = await this.db.query('SELECT key_id FROM api_keys WHERE name = $1 OR key_id = $1', [
      nameOrKeyId,
    ]);
    if (rows.length === 0) throw new ApiKeyError(`no key named ${nameOrKeyId}`);
    await this.db.query(
      `WITH revoked AS (UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = $1 RETURNING key_id)
       SELECT pg_notify($2, key_id) FROM revoked`,
      [rows[0].key_id, API_KEYS_CHANNEL],
    );
    this.cache?.forget(rows[0].key_id);
    const [record] = await this.list({ keyId: rows[0].key_id });
    return record;
  }

  async count(): Promise<number> {
    const [row]: { n: string }[] = await this.db.query('SELECT count(*) AS n FROM api_keys');
    return Number(row.n);
  }

  /** The principal a presented key stands for, or null when it is malformed, unknown, wrong or revoked. */
  async authenticate(presented: string): Promise<Principal | null> {
    const match = KEY_FORMAT.exec(presented);
    if (!match) return null;
    const [, keyId, secret] = match;
    const row = await this.findRow(keyId);
    if (!row || row.revoked_at !== null) return null;
    const expected = Buffer.from(row.secret_sha256, 'hex');
    const actual = Buffer.from(digest(secret), 'hex');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
    return { keyId, name: row.name, role: row.role };
  }

  private async findRow(keyId: string): Promise<KeyRow | undefined> {
    return this.cache ? this.cache.find(keyId) : selectKeyRow(this.db, keyId);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.cache?.close();
  }

  /**
   * On a fresh database there is no key to manage keys with: create the first admin key. It comes from the
   * configured key when there is one (so it survives restarts), otherwise it is generated and returned once.
   */
  async bootstrapAdmin(configuredKey: string | null): Promise<{ key: string; generated: boolean } | null> {
    if ((await this.count()) > 0) return null;
    if (configuredKey !== null) {
      const match = KEY_FORMAT.exec(configuredKey);
      if (!match) throw new ApiKeyError('the configured bootstrap admin key is not a psk_<id>_<secret> key');
      await this.db.query(
        `INSERT INTO api_keys (key_id, name, role, secret_sha256, created_by) VALUES ($1, 'bootstrap-admin', 'admin', $2, 'bootstrap')
         ON CONFLICT DO NOTHING`,
        [match[1], digest(match[2])],
      );
      return { key: configuredKey, generated: false };
    }
    const { key } = await this.create({ name: 'bootstrap-admin', role: 'admin', createdBy: 'bootstrap' });
    return { key, generated: true };
  }
}

/** A well-formed key, for configuration that must supply one up front. */
export function generateApiKey(): string {
  return `psk_${randomBytes(10).toString('hex').slice(0, 16)}_${randomBytes(32).toString('base64url')}`;
}
