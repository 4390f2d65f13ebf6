export * from './metadata';
export * from './patches';
export * from './devices';
export * from './commands';
export * from './events';
export * from './history';
