export * from './audit';
export * from './auth';
export * from './platform';
export * from './settings';
export * from './users';
