// The built web app (web/dist) at /, with the SPA's routes falling back to index.html, and the JSON 404
// of everything else. Never served: source maps (they would publish the sources), and anything a path
// reaches by climbing out of the folder (../ in any spelling): those are plain 404s, not the 403/400
// that @fastify/send throws, which our error handler would turn into a 500 with a stack in the log.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CtiError, toHttp } from '../lib/errors.js';

/**
 * A path (as @fastify/static passes it: decodeURI'd, so %2e is already '.', but %2f and %5c are kept)
 * that we refuse: a '..' segment with either slash, an encoded slash or backslash, a NUL, a source map.
 */
export function isRefusedPath(path: string): boolean {
  if (/%2f|%5c|%00|\0/i.test(path)) return true;
  if (path.split(/[/\\]/).some((seg) => seg === '..' || /^(\.|%2e){2}$/i.test(seg))) return true;
  return /\.map$/i.test(path);
}

function notFound(req: FastifyRequest, reply: FastifyReply, path: string): FastifyReply {
  const { status, body } = toHttp(new CtiError('CTI_ERR_NOT_FOUND', `No route ${req.method} ${path}`));
  return reply.code(status).send(body);
}

export async function registerWebApp(app: FastifyInstance, webDir: string): Promise<void> {
  await app.register(async (scope) => {
    // @fastify/send's 4xx (a NUL, a malformed path) for a static file are a 404 like any missing file.
    scope.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      const status = err.statusCode ?? 500;
      if (status >= 400 && status < 500) return notFound(req, reply, req.url.split('?', 1)[0]!);
      req.log.error({ err }, 'static file failed');
      const { body } = toHttp(err);
      return reply.code(500).send(body);
    });
    await scope.register(fastifyStatic, {
      root: webDir, prefix: '/', index: ['index.html'],
      allowedPath: (pathName) => !isRefusedPath(pathName),
    });
    // In this scope, where reply.sendFile lives; it answers every unknown URL, /api/ ones too.
    scope.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?', 1)[0]!;
      let decoded = path;
      try { decoded = decodeURI(path); } catch { /* a malformed escape: refused below as it stands */ }
      if (req.method === 'GET' && !isRefusedPath(decoded) && !path.startsWith('/api/') && !path.startsWith('/socket.io') && !/\.[a-z0-9]+$/i.test(path)) {
        return reply.type('text/html; charset=utf-8').sendFile('index.html');
      }
      return notFound(req, reply, path);
    });
  });
}
