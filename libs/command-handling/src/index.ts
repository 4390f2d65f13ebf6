export * from './execute-command';
export * from './command-outcome';
export * from './import-catalog';
export * from './command-handling.module';
