/**
 * Runs work one at a time per key (a stream id), in arrival order; different keys run side by side. Commands
 * on one hot stream from this process then follow each other instead of racing to the same expected version,
 * where all but one would lose, re-read and decide again (and, past the retries, give up).
 */
export class StreamQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work);
    // The next in line waits for this one to settle, whatever its outcome.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // An idle key is forgotten, so the map holds only streams with work in flight.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** How many streams have work queued or running (for tests and metrics). */
  get activeStreams(): number {
    return this.tails.size;
  }
}
