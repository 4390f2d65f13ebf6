import { KeyedLimiter } from '../src/keyed-limiter';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedLimiter: a few tasks at once, one key in order', () => {
  it('runs at most `limit` tasks at once and keeps each key in the order given, across keys interleaved', async () => {
    const limiter = new KeyedLimiter(3);
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const task = (key: string, n: number, delay: number) => async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, delay));
      log.push(`${key}${n}`);
      running -= 1;
    };
    // a's first task is slow: its second must still wait for it, while b and c go ahead.
    await limiter.run('a', task('a', 1, 30));
    await limiter.run('a', task('a', 2, 1));
    await limiter.run('b', task('b', 1, 1));
    await limiter.run('c', task('c', 1, 1));
    await limiter.run(null, task('-', 1, 1));
    await limiter.drain();
    expect(most).toBeLessThanOrEqual(3);
    expect(log.indexOf('a1')).toBeLessThan(log.indexOf('a2'));
    expect(log.indexOf('b1')).toBeLessThan(log.indexOf('a1'));
    expect(log.sort()).toEqual(['-1', 'a1', 'a2', 'b1', 'c1']);
  });

  it('throws the first failure from drain (or the next run), never as an unhandled rejection, after the others settle', async () => {
    const limiter = new KeyedLimiter(2);
    const done: string[] = [];
    await limiter.run('a', async () => {
      await tick();
      throw new Error('database gone');
    });
    await limiter.run('b', async () => {
      await tick();
      await tick();
      done.push('b');
    });
    await expect(limiter.drain()).rejects.toThrow('database gone');
    expect(done).toEqual(['b']);
    await expect(limiter.run('c', async () => undefined)).rejects.toThrow('database gone');
  });
});
