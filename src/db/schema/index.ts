export * from './calls.js';
export * from './users.js';
export * from './settings.js';
