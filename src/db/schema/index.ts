export * from './calls.js';
export * from './users.js';
export * from './settings.js';
export * from './clients.js';
export * from './contacts.js';
export * from './contact-phones.js';
export * from './sessions.js';
export * from './tasks.js';
