import { Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@patchstate/event-store';
import { CveExposureQueries } from './cve-exposure/cve-exposure-queries';
import { DeviceQueries } from './device-state/device-queries';
import { ProjectionProgress } from './engine/projection-progress';
import { FleetSummaryQueries } from './fleet/fleet-summary-queries';
import { RolloutQueries } from './rollout/rollout-queries';

const QUERY_CLASSES = [DeviceQueries, RolloutQueries, CveExposureQueries, FleetSummaryQueries, ProjectionProgress];

/** The read side's query services, shared by REST and gRPC so both answer from the same code. */
@Global()
@Module({
  providers: QUERY_CLASSES.map((Query) => ({ provide: Query, inject: [DATA_SOURCE], useFactory: (db: DataSource) => new Query(db) })),
  exports: QUERY_CLASSES,
})
export class ReadModelQueriesModule {}
