import { Build, isBuild, parseBuild } from '../shared/builds';
import { StoredMessage, checkStoredVersion } from '../shared/stored-message';
import { OsBuilds, osVersionOf } from './os-version';
import { PatchCatalogEvent, PatchDefinition, PatchKind, Product } from './patch';

/**
 * Version 1 of `PatchPublished` (written before the release catalog): one build and one baseline build, the
 * kind `cumulative` for a monthly update, and `products: null` for "every product of the build line".
 */
export interface PatchDefinitionV1 {
  patchId: string;
  /** `cumulative` was version 1's name for an LCU; the API's first shape may also name a version-2 kind. */
  kind: 'baseline' | 'hotpatch' | 'cumulative' | PatchKind;
  build: Build;
  baselineBuild: Build | null;
  releasedAt: string;
  architectures: PatchDefinition['architectures'];
  products: Product[] | null;
  cves: string[];
  supersedes: string[];
}

/** The schema version each catalog event type is written at now. Only raise one with an upcaster below. */
export const PATCH_EVENT_SCHEMA_VERSIONS: Record<PatchCatalogEvent['type'], number> = {
  PatchPublished: 2,
  PatchAmended: 1,
  PatchRevoked: 1,
};

/**
 * Reads a stored catalog event as the current domain type: checks the type, and upcasts older schema
 * versions, so a database written by earlier code folds like a new one. Throws on anything else.
 */
export function toPatchCatalogEvent(stored: StoredMessage): PatchCatalogEvent {
  const { type, data } = checkStoredVersion(stored, PATCH_EVENT_SCHEMA_VERSIONS, 'catalog');
  const { schemaVersion } = stored;
  if (type === 'PatchPublished' && schemaVersion === 1) {
    return { type, data: upcastPatchDefinitionV1(data as PatchDefinitionV1) };
  }
  return { type, data } as PatchCatalogEvent;
}

/** The products a version-1 patch without products was for: those of its build line. */
function productsOfBuildLine(build: Build): Product[] {
  const { major } = parseBuild(build);
  if (major === 20348) return ['windows-server-2022'];
  if (major === 26100) return ['windows-11', 'windows-server-2025'];
  return ['windows-11'];
}

function buildsOf(build: Build | null): OsBuilds {
  if (build === null || !isBuild(build)) return {};
  return { [osVersionOf(build) ?? 'server']: build };
}

export function upcastPatchDefinitionV1(v1: PatchDefinitionV1): PatchDefinition {
  const kind: PatchKind = v1.kind === 'cumulative' ? 'lcu' : v1.kind;
  return {
    patchId: v1.patchId,
    kind,
    releasedAt: v1.releasedAt,
    products: v1.products ?? productsOfBuildLine(v1.build),
    builds: buildsOf(v1.build),
    architectures: v1.architectures,
    baselineKb: null,
    baselineBuilds: buildsOf(v1.baselineBuild),
    cves: v1.cves,
    supersedes: v1.supersedes,
    replaces: [],
  };
}
