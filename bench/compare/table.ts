/** One path measured next to its raw baseline in the same run. */
export interface Comparison {
  path: string;
  writers: number;
  count: number;
  oursPerSecond: number;
  baseline: string;
  baselinePerSecond: number;
  /** ours / baseline. */
  ratio: number;
  note?: string;
}

export function compare(row: Omit<Comparison, 'ratio'>): Comparison {
  return { ...row, ratio: Number((row.oursPerSecond / row.baselinePerSecond).toFixed(2)) };
}

export async function rate(count: number, work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Math.round(count / (Number(process.hrtime.bigint() - started) / 1e9));
}

/** `concurrency` workers taking items in turn until none is left. */
export async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

export function printTable(rows: readonly Comparison[]): void {
  const header = ['path', 'writers', 'count', 'ours/s', 'baseline', 'baseline/s', 'ratio', 'note'];
  const cells = rows.map((r) => [r.path, r.writers, r.count, r.oursPerSecond, r.baseline, r.baselinePerSecond, r.ratio, r.note ?? ''].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const c of cells) console.log(line(c));
}
