import { Command, Event } from '../shared/messages';
import { OsBuilds } from './os-version';

/**
 * The kinds of release Microsoft ships (see the release data's README):
 * baseline: the quarterly cumulative update (restart) that the next hotpatches build on.
 * hotpatch: applied in memory without a restart, on top of one baseline; oob-hotpatch: the same, out of band.
 * lcu: the monthly cumulative update (restart) that devices off the hotpatch path get; oob-lcu: out of band.
 */
export const PATCH_KINDS = ['baseline', 'hotpatch', 'lcu', 'oob-hotpatch', 'oob-lcu'] as const;
export type PatchKind = (typeof PATCH_KINDS)[number];

export const HOTPATCH_KINDS: readonly PatchKind[] = ['hotpatch', 'oob-hotpatch'];
/** Releases that need a restart and carry every earlier fix of their branch: the cumulative track. */
export const CUMULATIVE_KINDS: readonly PatchKind[] = ['baseline', 'lcu', 'oob-lcu'];

export function isHotpatchKind(kind: PatchKind): boolean {
  return HOTPATCH_KINDS.includes(kind);
}

export const ARCHITECTURES = ['x64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const PRODUCTS = ['windows-11', 'windows-server-2022', 'windows-server-2025'] as const;
export type Product = (typeof PRODUCTS)[number];

/** A release of the catalog (schema version 2 of `PatchPublished`). */
export interface PatchDefinition {
  /** The KB number. */
  patchId: string;
  kind: PatchKind;
  releasedAt: string;
  /** Every product that installs this release (a Windows 11 KB that Server 2025 used unchanged names both). */
  products: Product[];
  /** The OS build on each OS version the release covers; one KB covers 24H2 and 25H2 since October 2025. */
  builds: OsBuilds;
  architectures: Architecture[];
  /** Hotpatches: the baseline they build on. Null for other kinds, and for hotpatches recorded before KBs were. */
  baselineKb: string | null;
  /** Hotpatches: the baseline's builds as known when recorded (version-1 events named the baseline only so). */
  baselineBuilds: OsBuilds;
  /** The CVEs this release fixes itself; what it carries from earlier releases follows from the catalog. */
  cves: string[];
  /** Earlier releases whose fixes this one contains. */
  supersedes: string[];
  /** Broken releases this one replaces (an out-of-band fix): they are no longer offered. */
  replaces: string[];
}

/** One field an amendment changed, with its value before and after. */
export interface PatchFieldChange {
  field: keyof PatchDefinition;
  from: unknown;
  to: unknown;
}

export type PatchCatalogCommand =
  | Command<'PublishPatch', PatchDefinition>
  | Command<'ImportRelease', PatchDefinition>
  | Command<'RevokePatch', { patchId: string; reason: string }>;

export type PatchPublished = Event<'PatchPublished', PatchDefinition>;
/** A published release corrected by an import: who changed what is in the event's metadata and `changes`. */
export type PatchAmended = Event<
  'PatchAmended',
  { patchId: string; changes: PatchFieldChange[]; definition: PatchDefinition; amendedAt: string }
>;
export type PatchRevoked = Event<'PatchRevoked', { patchId: string; reason: string; revokedAt: string }>;
export type PatchCatalogEvent = PatchPublished | PatchAmended | PatchRevoked;

export const PATCH_CATALOG_EVENT_TYPES: readonly PatchCatalogEvent['type'][] = ['PatchPublished', 'PatchAmended', 'PatchRevoked'];

export type PatchState =
  | { status: 'unpublished' }
  | { status: 'published'; patch: PatchDefinition }
  | { status: 'revoked'; patch: PatchDefinition; revokedAt: string; reason: string };

export const initialPatchState: PatchState = { status: 'unpublished' };

export function patchStreamId(patchId: string): string {
  return `patch-${patchId}`;
}
