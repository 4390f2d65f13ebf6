import { PATCH_CATALOG_EVENT_TYPES, PatchCatalogEvent } from './catalog/patch';
import { PATCH_EVENT_SCHEMA_VERSIONS, toPatchCatalogEvent } from './catalog/patch-events';
import { DEVICE_EVENT_TYPES, DeviceEvent } from './device/device';
import { DEVICE_EVENT_SCHEMA_VERSIONS, toDeviceEvent } from './device/device-events';
import { StoredMessage } from './shared/stored-message';

export type DomainEvent = DeviceEvent | PatchCatalogEvent;

/**
 * How to change an event's shape: raise its number here (in the per-stream table), write an upcaster from the
 * old shape in `toDeviceEvent`/`toPatchCatalogEvent`, and add a test that reads an event stored in the old shape.
 */
export function schemaVersionOf(type: DomainEvent['type']): number {
  return (PATCH_EVENT_SCHEMA_VERSIONS as Record<string, number>)[type] ?? (DEVICE_EVENT_SCHEMA_VERSIONS as Record<string, number>)[type];
}

/** The one way stored data becomes a domain event: by type, upcast from its schema version. */
export function toDomainEvent(stored: StoredMessage): DomainEvent {
  if ((PATCH_CATALOG_EVENT_TYPES as readonly string[]).includes(stored.type)) return toPatchCatalogEvent(stored);
  if ((DEVICE_EVENT_TYPES as readonly string[]).includes(stored.type)) return toDeviceEvent(stored);
  throw new Error(`not a domain event: ${stored.type}`);
}
