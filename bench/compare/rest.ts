import { Pool } from 'pg';
import { generateApiKey } from '@patchstate/auth';
import { loadConfig } from '@patchstate/config';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { Comparison, compare, inParallel, rate } from './table';

const PROFILE = { product: 'windows-11', edition: 'enterprise', architecture: 'x64', build: '26100.2894', vbs: 'running', chpeDisabled: false, hotpatchEnabled: true };

/**
 * RegisterDevice over REST end to end (HTTP, key check, load, decide, append, answer), with the relay running
 * in the API as in production, against one-row INSERT transactions at the same concurrency. The clients run
 * in this process too, so they share the 2 cores with the API: the ratio is a lower bound.
 */
export async function benchRest(url: string, topic: string, writers: number, count: number): Promise<Comparison> {
  const adminKey = generateApiKey();
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: url,
    KAFKA_TOPIC: topic,
    REQUEST_LOG: 'false',
    RATE_LIMIT_PER_MINUTE: '1000000',
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    BOOTSTRAP_ADMIN_KEY: adminKey,
  });
  const app = await createApiApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const raw = new Pool({ connectionString: url, max: writers });
  await raw.query('CREATE TABLE IF NOT EXISTS bench_raw_events (id bigserial PRIMARY KEY, stream_id text NOT NULL, data jsonb NOT NULL)');
  try {
    const items = Array.from({ length: count }, (_, i) => i);
    const register = async (deviceId: string) => {
      const response = await fetch(`${base}/v1/devices`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ deviceId, hostname: `${deviceId}.bench`, profile: PROFILE }),
      });
      if (response.status !== 201) throw new Error(`RegisterDevice answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    };
    await register('rest-warmup');
    const rawRate = await rate(count, () =>
      inParallel(items, writers, (i) => raw.query('INSERT INTO bench_raw_events (stream_id, data) VALUES ($1, $2)', [`rest-raw-${i}`, PROFILE])),
    );
    const restRate = await rate(count, () => inParallel(items, writers, (i) => register(`rest-${String(i).padStart(6, '0')}`)));
    return compare({ path: 'REST RegisterDevice', writers, count, oursPerSecond: restRate, baseline: 'one-row INSERT tx', baselinePerSecond: rawRate, note: 'clients in the same process' });
  } finally {
    await raw.end();
    await app.close();
  }
}
