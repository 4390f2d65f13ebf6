// `npm start` on a machine without a Postgres server: with DATABASE_URL unset and nothing on the default address,
// scripts/db/local-postgres.js runs the embedded Postgres there, and the service works on it. The default address is
// pointed at a closed port and the cluster at a scratch folder, so the real server and .local/postgres are untouched.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { http } from '../support/http-client';
import { TestStack, eventually, startTestStack } from '../support/test-stack';

interface LocalPostgres {
  ensureDatabase(options: { env: Record<string, string | undefined> }): Promise<{ url: string; source: string; startedHere: boolean }>;
  stopEmbedded(options: { env: Record<string, string | undefined> }): boolean;
}
// Plain CommonJS without type declarations; typed by the interface above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const localPostgres = require('../../scripts/db/local-postgres.js') as LocalPostgres;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function eventCount(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query('SELECT count(*) AS n FROM events')).rows[0].n);
  } finally {
    await client.end();
  }
}

describe('npm start without a Postgres server: the embedded default database', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'patchstate-embedded-pg-'));
  // As root the server runs as `postgres`, which must be able to reach the scratch folder.
  chmodSync(scratch, 0o755);
  let env: Record<string, string | undefined>;
  let stack: TestStack | undefined;

  beforeAll(async () => {
    env = { LOCAL_POSTGRES_PORT: String(await closedPort()), LOCAL_POSTGRES_DIR: join(scratch, 'postgres'), DATABASE_URL: undefined };
  });

  afterAll(async () => {
    await stack?.close();
    localPostgres.stopEmbedded({ env });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('serves the API on it, and keeps the data across a restart of the database', async () => {
    const database = await localPostgres.ensureDatabase({ env });
    expect(database).toEqual({
      url: `postgres://postgres@127.0.0.1:${env.LOCAL_POSTGRES_PORT}/patchstate`,
      source: 'embedded',
      startedHere: true,
      dataDir: join(scratch, 'postgres', 'data'),
    });
    expect(await localPostgres.ensureDatabase({ env })).toMatchObject({ source: 'embedded', startedHere: false });

    stack = await startTestStack({ env: { DATABASE_URL: database.url } });
    const registered = await http(stack.baseUrl, 'POST', '/v1/devices', {
      deviceId: 'ws-embedded',
      hostname: 'ws-embedded.corp.example',
      profile: { product: 'windows-11', edition: 'enterprise', architecture: 'x64', build: '26100.2894', vbs: 'running', chpeDisabled: false, hotpatchEnabled: true },
    });
    expect(registered.status).toBe(201);
    const position = registered.headers.get('x-position');
    const read = await eventually(async () => {
      const result = await http(stack!.baseUrl, 'GET', `/v1/devices/ws-embedded?minPosition=${position}`);
      return result.status === 200 ? result : undefined;
    });
    expect(read.body).toMatchObject({ deviceId: 'ws-embedded', hostname: 'ws-embedded.corp.example' });
    await stack.close();
    stack = undefined;

    expect(localPostgres.stopEmbedded({ env })).toBe(true);
    const restarted = await localPostgres.ensureDatabase({ env });
    expect(restarted).toMatchObject({ source: 'embedded', startedHere: true });
    expect(await eventCount(database.url)).toBeGreaterThan(0);
  });
});
