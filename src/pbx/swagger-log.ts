// swagger-client 2.0 (which ari-client loads Asterisk's API description with) defines a *global*
// `log` function that console.logs its arguments as an array: on every ARI connect it printed
// [ 'This API is using a deprecated version of Swagger! ...' ] into our JSON log, because Asterisk
// describes ARI in Swagger 1.1 (rest-api/resources.json, "swaggerVersion": "1.1") and always will.
// We replace that global once swagger-client has set it: the known notice is dropped, anything else
// it says (a failed request, a content type it cannot use) goes to our log as a warning.
import 'ari-client';
import { inspect } from 'node:util';
import type { Logger } from '../lib/logger.js';

const SWAGGER_1_1_NOTICE = /^This API is using a deprecated version of Swagger!/;
let sink: Logger | null = null;

(globalThis as { log?: unknown }).log = (...args: unknown[]): void => {
  if (typeof args[0] === 'string' && SWAGGER_1_1_NOTICE.test(args[0])) return;
  const said = args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 1, breakLength: Infinity })));
  if (sink) sink.warn({ said }, 'swagger-client (ARI API description)');
  else console.error('swagger-client:', ...said);
};

/** Where swagger-client's messages go from now on. */
export function routeSwaggerLog(log: Logger): void {
  sink = log;
}
