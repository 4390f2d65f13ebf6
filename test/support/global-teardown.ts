// Jest globalTeardown for the int and e2e projects: stops the local Kafka broker only when this run's globalSetup
// started it and KEEP_KAFKA is not set (so `KEEP_KAFKA=1 npm test` leaves it running for the next run). Idempotent.
interface LocalBroker {
  stopBroker(options?: { log?: (message: string) => void }): Promise<void>;
}

declare global {
  var __PATCHSTATE_KAFKA_STARTED_HERE__: boolean | undefined;
}

export default async function globalTeardown(): Promise<void> {
  if (!globalThis.__PATCHSTATE_KAFKA_STARTED_HERE__) return;
  globalThis.__PATCHSTATE_KAFKA_STARTED_HERE__ = false;
  if (process.env.KEEP_KAFKA) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const localBroker = require('../../scripts/kafka/local-broker.js') as LocalBroker;
  await localBroker.stopBroker();
}
