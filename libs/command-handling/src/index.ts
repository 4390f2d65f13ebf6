export * from './execute-command';
export * from './command-outcome';
export * from './command-handling.module';
