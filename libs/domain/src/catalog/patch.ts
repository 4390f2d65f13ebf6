import { Build } from '../shared/builds';
import { Command, Event } from '../shared/messages';

export const PATCH_KINDS = ['baseline', 'hotpatch', 'cumulative'] as const;
/**
 * baseline: a quarterly cumulative update that needs a restart and that hotpatches build on.
 * hotpatch: applied in memory without a restart, on top of one baseline.
 * cumulative: an ordinary monthly update that needs a restart (what a device off its baseline gets).
 */
export type PatchKind = (typeof PATCH_KINDS)[number];

export const ARCHITECTURES = ['x64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const PRODUCTS = ['windows-11', 'windows-server-2022', 'windows-server-2025'] as const;
export type Product = (typeof PRODUCTS)[number];

export interface PatchDefinition {
  patchId: string;
  kind: PatchKind;
  build: Build;
  /** Hotpatches only: the baseline build a device must be on to take it. */
  baselineBuild: Build | null;
  releasedAt: string;
  architectures: Architecture[];
  /** Absent: the patch is for every product that shares its build line. */
  products: Product[] | null;
  /** For a hotpatch: every CVE it fixes, including those of earlier hotpatches of its baseline. */
  cves: string[];
  supersedes: string[];
}

export type PatchCatalogCommand =
  | Command<'PublishPatch', PatchDefinition>
  | Command<'RevokePatch', { patchId: string; reason: string }>;

export type PatchPublished = Event<'PatchPublished', PatchDefinition>;
export type PatchRevoked = Event<'PatchRevoked', { patchId: string; reason: string; revokedAt: string }>;
export type PatchCatalogEvent = PatchPublished | PatchRevoked;

export const PATCH_CATALOG_EVENT_TYPES: readonly PatchCatalogEvent['type'][] = ['PatchPublished', 'PatchRevoked'];

export type PatchState =
  | { status: 'unpublished' }
  | { status: 'published'; patch: PatchDefinition }
  | { status: 'revoked'; patch: PatchDefinition; revokedAt: string; reason: string };

export const initialPatchState: PatchState = { status: 'unpublished' };

export function patchStreamId(patchId: string): string {
  return `patch-${patchId}`;
}
