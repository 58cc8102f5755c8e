export * from './appointments';
export * from './audit';
export * from './auth';
export * from './health';
export * from './platform';
export * from './settings';
export * from './telemedicine';
export * from './users';
