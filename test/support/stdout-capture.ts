import { eventually } from './test-stack';

/**
 * Runs `work` while recording what the process writes to stdout, and keeps recording until `settled` holds
 * for the text: request log lines are written when a response finishes, which can be after the client has it.
 */
export async function captureStdout(work: () => Promise<void>, settled: (written: string) => boolean, timeoutMs = 5_000): Promise<string> {
  const written: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    written.push(String(chunk));
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    await work();
    await eventually(async () => (settled(written.join('')) ? true : undefined), timeoutMs, 10);
  } finally {
    process.stdout.write = original;
  }
  return written.join('');
}
