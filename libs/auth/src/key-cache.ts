import { DataSource } from 'typeorm';
import { PgListener, databaseUrlOf } from '@patchstate/event-store';
import { Role } from './roles';

/** Revoking a key notifies this channel with its id, so every process drops it from its cache at once. */
export const API_KEYS_CHANNEL = 'patchstate_api_keys';

export interface KeyRow {
  name: string;
  role: Role;
  secret_sha256: string;
  revoked_at: Date | null;
}

const MAX_ENTRIES = 10_000;

export async function selectKeyRow(db: DataSource, keyId: string): Promise<KeyRow | undefined> {
  const rows: KeyRow[] = await db.query('SELECT name, role, secret_sha256, revoked_at FROM api_keys WHERE key_id = $1', [keyId]);
  return rows[0];
}

/**
 * Key rows by key id, so a request is authenticated without a query. Trusted only while the listening
 * connection is up (a revocation is then heard the moment it commits); while it is down every lookup goes to
 * the database. A lookup that raced a notification is not cached, so it cannot bring a revoked row back.
 */
export class KeyCache {
  private readonly rows = new Map<string, KeyRow>();
  /** Moves on every notification and every lost connection: a lookup older than it may be stale. */
  private generation = 0;
  private readonly listener: PgListener;

  constructor(private readonly db: DataSource) {
    this.listener = new PgListener(databaseUrlOf(db), [API_KEYS_CHANNEL], {
      notify: (_channel, keyId) => this.forget(keyId),
      lost: () => this.forget(undefined),
    });
  }

  async find(keyId: string): Promise<KeyRow | undefined> {
    const cached = this.listener.connected ? this.rows.get(keyId) : undefined;
    if (cached) return cached;
    const trusted = await this.listener.ensure();
    const generation = this.generation;
    const row = await selectKeyRow(this.db, keyId);
    if (row && trusted && generation === this.generation && this.listener.connected) {
      if (this.rows.size >= MAX_ENTRIES) this.rows.clear();
      this.rows.set(keyId, row);
    }
    return row;
  }

  /** One key, or (undefined) all of them. */
  forget(keyId: string | undefined): void {
    this.generation += 1;
    if (keyId === undefined) this.rows.clear();
    else this.rows.delete(keyId);
  }

  close(): Promise<void> {
    return this.listener.close();
  }
}
