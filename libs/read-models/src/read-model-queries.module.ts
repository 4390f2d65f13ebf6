import { Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { DATA_SOURCE } from '@patchstate/event-store';
import { CveExposureQueries } from './cve-exposure/cve-exposure-queries';
import { DeviceQueries } from './device-state/device-queries';
import { ProjectionProgress } from './engine/projection-progress';
import { FleetSummaryQueries } from './fleet/fleet-summary-queries';
import { FleetHistoryQueries } from './fleet/fleet-history-queries';
import { RolloutQueries } from './rollout/rollout-queries';

const QUERY_CLASSES = [DeviceQueries, RolloutQueries, CveExposureQueries, FleetSummaryQueries, FleetHistoryQueries, ProjectionProgress];
const DATA_ONLY = [RolloutQueries, CveExposureQueries, ProjectionProgress];
/** Deadlines and staleness are judged with the configured policy, at the wall clock (or asOf). */
const JUDGED = [DeviceQueries, FleetSummaryQueries];

/** The read side's query services, shared by REST and gRPC so both answer from the same code. */
@Global()
@Module({
  providers: [
    ...DATA_ONLY.map((Query) => ({ provide: Query, inject: [DATA_SOURCE], useFactory: (db: DataSource) => new Query(db) })),
    ...JUDGED.map((Query) => ({
      provide: Query,
      inject: [DATA_SOURCE, APP_CONFIG],
      useFactory: (db: DataSource, config: AppConfig) => new Query(db, config.compliance),
    })),
    // The history is the summary asked at each step: same policy, same clock.
    { provide: FleetHistoryQueries, inject: [FleetSummaryQueries], useFactory: (fleet: FleetSummaryQueries) => new FleetHistoryQueries(fleet) },
  ],
  exports: QUERY_CLASSES,
})
export class ReadModelQueriesModule {}
