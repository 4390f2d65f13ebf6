import { randomBytes } from 'node:crypto';
import { DataSource, QueryRunner } from 'typeorm';
import { withTransaction } from '@patchstate/event-store';

/** The engine's own bookkeeping: a rebuild gets empty copies so it never reads or writes the live ones. */
export const ENGINE_TABLES = ['projection_stream_versions', 'dead_letters', 'projection_checkpoints'] as const;

/** Shadow schemas are `replay_<hex>`; live tables moved aside by a swap go to `replay_old_<time>_<hex>`. */
export const SHADOW_SCHEMA_PREFIX = 'replay_';

export class RebuildRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RebuildRefused';
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A swap moves whole tables, so everything attached to a live table must come along or be recreated.
 * Indexes, defaults, checks and owned sequences are handled; views and triggers are not, so a table that
 * has them is refused before any work is done rather than silently losing them.
 */
export async function assertSwappable(db: DataSource, tables: readonly string[]): Promise<void> {
  const problems: string[] = [];
  for (const table of tables) {
    const [{ found }]: { found: string | null }[] = await db.query('SELECT to_regclass($1) AS found', [`public.${quoteIdent(table)}`]);
    if (found === null) problems.push(`table public.${table} does not exist (are the migrations applied?)`);
  }
  if (problems.length === 0) {
    const qualified = tables.map((t) => `public.${quoteIdent(t)}`);
    const views: { view: string; table: string }[] = await db.query(
      `SELECT DISTINCT v.oid::regclass::text AS view, d.refobjid::regclass::text AS table
       FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
       WHERE d.refobjid = ANY($1::text[]::regclass[]) AND v.oid <> d.refobjid`,
      [qualified],
    );
    for (const row of views) problems.push(`view ${row.view} depends on ${row.table}: a swap would leave it on the old table`);
    const triggers: { trigger: string; table: string }[] = await db.query(
      `SELECT tgname AS trigger, tgrelid::regclass::text AS table FROM pg_trigger
       WHERE tgrelid = ANY($1::text[]::regclass[]) AND NOT tgisinternal`,
      [qualified],
    );
    for (const row of triggers) problems.push(`trigger ${row.trigger} on ${row.table} would not be copied to the rebuilt table`);
  }
  if (problems.length > 0) throw new RebuildRefused(`cannot rebuild into shadow tables:\n  - ${problems.join('\n  - ')}`);
}

/** Creates `replay_<hex>` holding empty copies (columns, defaults, checks, indexes) of the given live tables. */
export async function createShadowSchema(db: DataSource, tables: readonly string[]): Promise<string> {
  const schema = `${SHADOW_SCHEMA_PREFIX}${randomBytes(5).toString('hex')}`;
  return withTransaction(db, async (tx) => {
    await tx.query(`CREATE SCHEMA ${schema}`);
    for (const table of tables) {
      await tx.query(`CREATE TABLE ${schema}.${quoteIdent(table)} (LIKE public.${quoteIdent(table)} INCLUDING ALL)`);
    }
    return schema;
  });
}

export async function dropSchema(db: DataSource, schema: string): Promise<void> {
  if (!isReplaySchemaName(schema)) throw new Error(`refusing to drop ${schema}: not a replay schema`);
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

export function isReplaySchemaName(schema: string): boolean {
  return /^replay_[a-z0-9_]{1,55}$/.test(schema);
}

/** Schemas left by earlier runs (kept on purpose with --keep-shadow/--keep-old, or by a killed process). */
export async function listReplaySchemas(db: DataSource): Promise<string[]> {
  const rows: { nspname: string }[] = await db.query(
    `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'replay\\_%' ORDER BY nspname`,
  );
  return rows.map((row) => row.nspname).filter(isReplaySchemaName);
}

/**
 * Inside the caller's transaction: moves the live tables into `oldSchema` and the shadow ones into public,
 * keeping what other code relies on by name (index and constraint names, owned sequences, foreign keys).
 * Everything commits or nothing does.
 */
export async function swapTables(tx: QueryRunner, shadowSchema: string, oldSchema: string, tables: readonly string[]): Promise<void> {
  await tx.query('SET LOCAL search_path TO public');
  const qualified = tables.map((t) => `public.${quoteIdent(t)}`);
  // Rendered while everything is still in public, so the definitions name tables unqualified.
  const foreignKeys: { name: string; table: string; definition: string }[] = await tx.query(
    `SELECT conname AS name, conrelid::regclass::text AS table, pg_get_constraintdef(oid) AS definition
     FROM pg_constraint WHERE contype = 'f'
       AND (conrelid = ANY($1::text[]::regclass[]) OR confrelid = ANY($1::text[]::regclass[]))`,
    [qualified],
  );
  const ownedSequences: { sequence: string; table: string; column: string }[] = await tx.query(
    `SELECT s.oid::regclass::text AS sequence, t.relname AS table, a.attname AS column
     FROM pg_depend d
     JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
     JOIN pg_class t ON t.oid = d.refobjid
     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
     WHERE d.deptype = 'a' AND d.refobjid = ANY($1::text[]::regclass[])`,
    [qualified],
  );
  for (const fk of foreignKeys) await tx.query(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${quoteIdent(fk.name)}`);
  // The shadow copies' defaults already draw from these sequences; they must stay in public with the new tables.
  for (const seq of ownedSequences) await tx.query(`ALTER SEQUENCE ${seq.sequence} OWNED BY NONE`);

  await tx.query(`CREATE SCHEMA ${oldSchema}`);
  for (const table of tables) {
    await tx.query(`ALTER TABLE public.${quoteIdent(table)} SET SCHEMA ${oldSchema}`);
    await tx.query(`ALTER TABLE ${shadowSchema}.${quoteIdent(table)} SET SCHEMA public`);
    await renameIndexesLike(tx, `${oldSchema}.${quoteIdent(table)}`, `public.${quoteIdent(table)}`);
  }
  for (const seq of ownedSequences) {
    await tx.query(`ALTER SEQUENCE ${seq.sequence} OWNED BY public.${quoteIdent(seq.table)}.${quoteIdent(seq.column)}`);
  }
  for (const fk of foreignKeys) {
    await tx.query(`ALTER TABLE ${fk.table} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition}`);
  }
}

/**
 * `LIKE ... INCLUDING ALL` names the copied indexes by Postgres' default rules; migrations refer to indexes
 * (and the constraints they back) by their original names, so the new table takes over the old names.
 */
async function renameIndexesLike(tx: QueryRunner, oldTable: string, newTable: string): Promise<void> {
  const indexes = async (table: string) =>
    (await tx.query(
      `SELECT c.relname AS name, i.indisunique AS unique,
              regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON \\S+ ', '') AS shape
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE i.indrelid = $1::regclass ORDER BY c.relname`,
      [table],
    )) as { name: string; unique: boolean; shape: string }[];
  const before = await indexes(oldTable);
  const after = await indexes(newTable);
  const renames: { from: string; to: string }[] = [];
  for (const old of before) {
    const index = after.findIndex((candidate) => candidate.unique === old.unique && candidate.shape === old.shape);
    if (index < 0) continue;
    const [match] = after.splice(index, 1);
    if (match.name !== old.name) renames.push({ from: match.name, to: old.name });
  }
  // Two steps, so names that trade places never collide half-way.
  for (const [n, rename] of renames.entries()) {
    await tx.query(`ALTER INDEX public.${quoteIdent(rename.from)} RENAME TO ${quoteIdent(`replay_swap_tmp_${n}`)}`);
  }
  for (const [n, rename] of renames.entries()) {
    await tx.query(`ALTER INDEX public.${quoteIdent(`replay_swap_tmp_${n}`)} RENAME TO ${quoteIdent(rename.to)}`);
  }
}
