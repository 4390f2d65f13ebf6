export * from './export-records';
export * from './wufb-values';
export * from './wufb-rows';
export * from './wufb-plan';
export * from './ingest-summary';
export * from './device-snapshot';
export * from './ingest-wufb';
export * from './ingest.module';
