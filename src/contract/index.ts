// The socket contract between the service and the manager's browser: the socket.io events both ways,
// every payload they carry, and the enums (as `as const` arrays with their types) both sides share.
// One module, imported by the service (src/realtime, src/live, src/calls, src/db/schema) and by web/
// (web/src/types.ts, web/src/realtime.ts), so the compiler holds the two sides to one definition.
//
// Why src/contract/: the service's build (tsconfig.build.json, include "src") emits it to
// dist/src/contract/ beside the code that imports it, with no extra include, copy step or package;
// web/ imports it by relative path and vite bundles it in (only the arrays are code). It must stay
// plain TypeScript with no imports from outside this folder, no DOM and no Node: its own tsconfig.json
// (lib ES2022, no types), checked by `npm run typecheck`, refuses anything else.
export * from './enums.js';
export type * from './tasks.js';
export type * from './calls.js';
export type * from './live.js';
export type * from './events.js';
