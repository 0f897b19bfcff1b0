// Fastify's own schema compilers (ajv for requests, fast-json-stringify for responses), remembered
// across app instances in one process: compiling the routes' schemas is most of what building the app
// costs (about 0.3 s of 0.4 s), and the service tests build a fresh app for nearly every test. The service
// builds one app, so there this changes nothing but a lookup per route at startup.
//
// A compiled function depends only on the schema, the shared schemas (addSchema) and the server's
// options, so those are the key (as JSON: the route schemas are written as literals and are new objects
// in every app). The functions are pure; sharing one between apps shares no state.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type BuildValidator = NonNullable<CompilersFactory['buildValidator']>;
type BuildSerializer = NonNullable<CompilersFactory['buildSerializer']>;

// The very packages fastify itself defaults to (its dependencies, resolved from fastify's folder).
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const ajvCompiler = fromFastify('@fastify/ajv-compiler') as () => BuildValidator;
const fjsCompiler = fromFastify('@fastify/fast-json-stringify-compiler') as () => BuildSerializer;

function remembered<B extends (externals: any, opts: any) => (route: any) => unknown>(build: B, routeKey: (route: any) => string): B {
  const byServer = new Map<string, Map<string, unknown>>();
  return ((externals: unknown, opts: unknown) => {
    const serverKey = JSON.stringify([externals, opts]);
    let compiled = byServer.get(serverKey);
    if (!compiled) byServer.set(serverKey, (compiled = new Map()));
    let compile: ((route: any) => unknown) | null = null; // built on the first miss only
    return (route: any) => {
      const key = routeKey(route);
      let fn = compiled.get(key);
      if (fn === undefined) {
        fn = (compile ??= build(externals, opts))(route);
        compiled.set(key, fn);
      }
      return fn;
    };
  }) as B;
}

/** schemaController.compilersFactory for Fastify(): fastify's default compilers, remembered. */
export function rememberedCompilers(): CompilersFactory {
  return { buildValidator: validators, buildSerializer: serializers };
}

const validators = remembered(ajvCompiler(), (route: { schema: unknown; httpPart?: string; contentType?: string }) => {
  // A compilersFactory makes fastify treat the validator as custom, and it then leaves header schemas as
  // written instead of lower-casing their names (lib/validation.js): refuse them rather than differ.
  if (route.httpPart === 'headers') throw new Error('header schemas are not supported here: see src/http/schema-compilers.ts');
  return JSON.stringify([route.schema, route.httpPart, route.contentType]);
});

const serializers = remembered(fjsCompiler(), (route: { schema: unknown; httpStatus?: string; contentType?: string }) =>
  JSON.stringify([route.schema, route.httpStatus, route.contentType]));
