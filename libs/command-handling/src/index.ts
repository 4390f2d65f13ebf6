export * from './command-executor';
export * from './command-outcome';
export * from './bus-commands';
export * from './command-handlers';
export * from './import-catalog';
export * from './command-handling.module';
