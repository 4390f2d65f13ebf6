import { Build } from '../shared/builds';
import { Product } from '../catalog/patch';
import { ReleaseCatalog } from '../catalog/release-catalog';

/**
 * The baseline build a plane sits on, given the build it ran before the hotpatches the service applied: a
 * baseline is its own; a hotpatch build (a device first seen mid-quarter) sits on its hotpatch's baseline; an
 * LCU build is no baseline at all and is returned as it is, so no hotpatch matches it. A build the catalog
 * does not know is taken as the baseline it was reported as, so a hotpatch that names it by build still applies.
 */
export function planeBaselineBuild(build: Build, product: Product, catalog: ReleaseCatalog): Build {
  const resolved = catalog.resolve(product, build);
  return resolved?.baselineBuild ?? build;
}
