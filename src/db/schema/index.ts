export * from './audit';
export * from './platform';
export * from './users';
