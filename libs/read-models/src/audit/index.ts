export * from './audit-filters';
export * from './audit-queries';
