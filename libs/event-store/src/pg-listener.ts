import { Client } from 'pg';
import { DataSource } from 'typeorm';

/** The URL a pool was opened with, for a connection of its own beside the pool (LISTEN holds one). */
export function databaseUrlOf(db: DataSource): string | undefined {
  return (db.options as { url?: string }).url;
}

/**
 * One LISTEN connection on some channels, opened on first use and again after it is lost. Whoever relies on
 * it asks `connected` first: while it is down notifications may be missed, so caches must not be trusted
 * and waiters must poll.
 */
export class PgListener {
  private client: Client | null = null;
  private connecting: Promise<boolean> | null = null;
  private closed = false;

  constructor(
    private readonly databaseUrl: string | undefined,
    private readonly channels: readonly string[],
    private readonly handlers: { notify: (channel: string, payload: string | undefined) => void; lost?: () => void },
  ) {}

  get connected(): boolean {
    return this.client !== null;
  }

  /** Connects unless connected; answers whether notifications now arrive. */
  ensure(): Promise<boolean> {
    if (this.client || this.closed || !this.databaseUrl) return Promise.resolve(this.client !== null);
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connect(): Promise<boolean> {
    const client = new Client({ connectionString: this.databaseUrl });
    const lost = () => {
      if (this.client !== client) return;
      this.client = null;
      this.handlers.lost?.();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => this.handlers.notify(message.channel, message.payload));
    try {
      await client.connect();
      for (const channel of this.channels) await client.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
    } catch {
      await client.end().catch(() => undefined);
      return false;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return false;
    }
    this.client = client;
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
