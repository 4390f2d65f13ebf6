import { EventStore1732800000000 } from './1732800000000-event-store';
import { ReadModels1732800001000 } from './1732800001000-read-models';
import { FleetReadModels1732800002000 } from './1732800002000-fleet-read-models';
import { ApiKeys1732800003000 } from './1732800003000-api-keys';
import { EventStoreIdentity1732800004000 } from './1732800004000-event-store-identity';
import { ReleaseCatalog1732800005000 } from './1732800005000-release-catalog';
import { IdempotencyOutcomes1732800006000 } from './1732800006000-idempotency-outcomes';

/** Every migration in the order it runs. Listed explicitly so compiled and test builds run the same set. */
export const MIGRATIONS = [EventStore1732800000000, ReadModels1732800001000, FleetReadModels1732800002000, ApiKeys1732800003000, EventStoreIdentity1732800004000, ReleaseCatalog1732800005000, IdempotencyOutcomes1732800006000];
