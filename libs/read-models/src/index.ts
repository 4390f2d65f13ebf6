export * from './engine/projection';
export * from './engine/projection-engine';
export * from './device-state/device-state.projection';
export * from './device-state/device-queries';
export * from './patch-catalog/patch-catalog.projection';
export * from './patch-catalog/catalog-reader';
export * from './servicing/servicing-index';
export * from './as-of/read-models-as-of';
export * from './rollout/patch-rollout.projection';
export * from './rollout/rollout-queries';
export * from './cve-exposure/cve-exposure-queries';
export * from './fleet/fleet-summary-queries';
export * from './fleet/fleet-history-queries';
export * from './engine/projection-progress';
export * from './paging/page';
export * from './audit';

import { DeviceStateProjection } from './device-state/device-state.projection';
import { PatchCatalogProjection } from './patch-catalog/patch-catalog.projection';
import { PatchRolloutProjection } from './rollout/patch-rollout.projection';
import { Projection } from './engine/projection';

/** Every live projection: the projector and the replay tool run exactly this list. */
export function allProjections(): Projection[] {
  return [new PatchCatalogProjection(), new DeviceStateProjection(), new PatchRolloutProjection()];
}
export * from './read-model-queries.module';
export * from './rebuild/event-source';
export * from './rebuild/store-event-source';
export * from './rebuild/kafka-event-source';
export * from './rebuild/shadow-tables';
export * from './rebuild/read-model-diff';
export * from './rebuild/projection-selection';
export * from './rebuild/read-model-rebuild';
export * from './dead-letters/dead-letter-service';
export * from './dead-letters/dead-letter-store';
