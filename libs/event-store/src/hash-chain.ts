import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth: the same event always hashes the same, whatever key order
 * jsonb hands back when it is read.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export interface HashedContent {
  streamId: string;
  version: number;
  type: string;
  data: unknown;
  metadata: unknown;
}

/** hash = sha256(prevHash + canonical event): editing, removing or reordering any event breaks the chain. */
export function chainHash(prevHash: string | null, content: HashedContent): string {
  return createHash('sha256')
    .update(prevHash ?? '')
    .update(canonicalJson(content))
    .digest('hex');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
