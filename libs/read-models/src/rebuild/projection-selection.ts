import { Projection } from '../engine/projection';

export class UnknownProjection extends Error {
  constructor(
    readonly requested: string,
    readonly known: string[],
  ) {
    super(`unknown projection "${requested}"; known projections: ${known.join(', ')}`);
    this.name = 'UnknownProjection';
  }
}

/**
 * The projections named (or all of them). Tables are swapped whole, so a projection that shares a table
 * with a selected one is rebuilt too: otherwise the swap would drop that projection's rows.
 */
export function selectProjections(
  available: readonly Projection[],
  requested: readonly string[] | 'all',
): { projections: Projection[]; addedForSharedTables: string[] } {
  if (requested === 'all') return { projections: [...available], addedForSharedTables: [] };
  const known = available.map((p) => p.name);
  const selected = new Set<string>();
  for (const name of requested) {
    if (!known.includes(name)) throw new UnknownProjection(name, known);
    selected.add(name);
  }
  const added: string[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    const tables = new Set(available.filter((p) => selected.has(p.name)).flatMap((p) => p.tables));
    for (const projection of available) {
      if (!selected.has(projection.name) && projection.tables.some((t) => tables.has(t))) {
        selected.add(projection.name);
        added.push(projection.name);
        grew = true;
      }
    }
  }
  return { projections: available.filter((p) => selected.has(p.name)), addedForSharedTables: added };
}

export function tablesOf(projections: readonly Projection[]): string[] {
  return [...new Set(projections.flatMap((p) => p.tables))];
}
