export * from './engine/projection';
export * from './engine/projection-engine';
export * from './device-state/device-state.projection';
export * from './device-state/device-queries';
export * from './patch-catalog/patch-catalog.projection';

import { DeviceStateProjection } from './device-state/device-state.projection';
import { PatchCatalogProjection } from './patch-catalog/patch-catalog.projection';
import { Projection } from './engine/projection';

/** Every live projection: the projector and the replay tool run exactly this list. */
export function allProjections(): Projection[] {
  return [new PatchCatalogProjection(), new DeviceStateProjection()];
}
