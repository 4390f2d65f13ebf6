import { QueryRunner } from 'typeorm';
import { quoteIdent } from './shadow-tables';

export interface RowDifference {
  /** The primary key of the row (every column when the table has none). */
  key: Record<string, unknown>;
  /** null: the row is missing on that side. */
  live: Record<string, unknown> | null;
  rebuilt: Record<string, unknown> | null;
  /** The columns whose values differ (all of them when a side is missing). */
  columns: string[];
}

export interface TableDifference {
  table: string;
  key: string[];
  differingRows: number;
  /** The first differing rows, in key order. */
  rows: RowDifference[];
}

/**
 * Compares a live table with its rebuilt copy row by row, matched on the primary key. Rows are compared as
 * jsonb, so every column type compares the same way, and only the first `limit` differences are fetched.
 */
export async function diffTable(tx: QueryRunner, table: string, shadowSchema: string, limit: number): Promise<TableDifference> {
  const live = `public.${quoteIdent(table)}`;
  const rebuilt = `${shadowSchema}.${quoteIdent(table)}`;
  const key = await primaryKey(tx, live);
  if (key.length === 0) return diffWithoutKey(tx, table, live, rebuilt, limit);

  const join = key.map((column) => `l.${quoteIdent(column)} = r.${quoteIdent(column)}`).join(' AND ');
  const order = key.map((column) => `coalesce(l.${quoteIdent(column)}, r.${quoteIdent(column)})`).join(', ');
  const differing = `FROM ${live} l FULL OUTER JOIN ${rebuilt} r ON ${join} WHERE to_jsonb(l) IS DISTINCT FROM to_jsonb(r)`;
  const [{ n }]: { n: string }[] = await tx.query(`SELECT count(*) AS n ${differing}`);
  const rows: { live: Record<string, unknown> | null; rebuilt: Record<string, unknown> | null }[] =
    Number(n) === 0 ? [] : await tx.query(`SELECT to_jsonb(l) AS live, to_jsonb(r) AS rebuilt ${differing} ORDER BY ${order} LIMIT $1`, [limit]);
  return {
    table,
    key,
    differingRows: Number(n),
    rows: rows.map((row) => {
      const either = (row.live ?? row.rebuilt)!;
      return {
        key: Object.fromEntries(key.map((column) => [column, either[column]])),
        live: row.live,
        rebuilt: row.rebuilt,
        columns: differingColumns(row.live, row.rebuilt),
      };
    }),
  };
}

async function diffWithoutKey(tx: QueryRunner, table: string, live: string, rebuilt: string, limit: number): Promise<TableDifference> {
  // Without a key, rows are compared as a multiset: what one side has more of than the other.
  const onlyLive = `SELECT to_jsonb(t) AS row FROM ${live} t EXCEPT ALL SELECT to_jsonb(t) FROM ${rebuilt} t`;
  const onlyRebuilt = `SELECT to_jsonb(t) AS row FROM ${rebuilt} t EXCEPT ALL SELECT to_jsonb(t) FROM ${live} t`;
  const sides = `(SELECT 'live' AS side, row FROM (${onlyLive}) a) UNION ALL (SELECT 'rebuilt' AS side, row FROM (${onlyRebuilt}) b)`;
  const [{ n }]: { n: string }[] = await tx.query(`SELECT count(*) AS n FROM (${sides}) d`);
  const rows: { side: 'live' | 'rebuilt'; row: Record<string, unknown> }[] =
    Number(n) === 0 ? [] : await tx.query(`SELECT side, row FROM (${sides}) d ORDER BY row::text LIMIT $1`, [limit]);
  return {
    table,
    key: [],
    differingRows: Number(n),
    rows: rows.map(({ side, row }) => ({
      key: row,
      live: side === 'live' ? row : null,
      rebuilt: side === 'rebuilt' ? row : null,
      columns: Object.keys(row),
    })),
  };
}

async function primaryKey(tx: QueryRunner, table: string): Promise<string[]> {
  const rows: { column: string }[] = await tx.query(
    `SELECT a.attname AS column FROM pg_index i
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = $1::regclass AND i.indisprimary
     ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [table],
  );
  return rows.map((row) => row.column);
}

function differingColumns(live: Record<string, unknown> | null, rebuilt: Record<string, unknown> | null): string[] {
  if (live === null || rebuilt === null) return Object.keys(live ?? rebuilt ?? {});
  const columns = new Set([...Object.keys(live), ...Object.keys(rebuilt)]);
  return [...columns].filter((column) => stableJson(live[column]) !== stableJson(rebuilt[column]));
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  return `{${Object.keys(value as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}
