import { PatchState, ReleaseCatalog, evolvePatch, initialPatchState, storedMessage, toPatchCatalogEvent } from '@patchstate/domain';
import { PostgresEventStore } from '@patchstate/event-store';

/**
 * The release catalog as the write side decides with it: folded from the catalog's streams in the event store
 * (never from a read model, which may lag), and kept between commands. Each use reads only the catalog events
 * recorded after the last one seen: positions are handed out in commit order, so none is skipped.
 */
export class ReleaseCatalogCache {
  private readonly states = new Map<string, PatchState>();
  private lastPosition = 0n;
  private catalog = ReleaseCatalog.empty();

  constructor(private readonly store: PostgresEventStore) {}

  async current(): Promise<ReleaseCatalog> {
    const events = await this.store.readByStreamType('patch', this.lastPosition.toString());
    let changed = false;
    for (const recorded of events) {
      const position = BigInt(recorded.position);
      // A concurrent caller may have folded it already.
      if (position <= this.lastPosition) continue;
      const event = toPatchCatalogEvent(storedMessage(recorded));
      this.states.set(recorded.streamId, evolvePatch(this.states.get(recorded.streamId) ?? initialPatchState, event));
      this.lastPosition = position;
      changed = true;
    }
    if (changed) this.catalog = ReleaseCatalog.fromStates([...this.states.values()]);
    return this.catalog;
  }
}
