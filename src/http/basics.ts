// What every request gets, whatever the feature: security headers (errors and 404s included), one
// error mapping (src/lib/errors.ts), and the OpenAPI description with its UI at /api/docs.
import type { FastifyError, FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { CtiError, toHttp } from '../lib/errors.js';
import { securityHeaders, swaggerUiPolicy } from './security-headers.js';

export async function registerHttpBasics(app: FastifyInstance, o: { publicUrl: string; softphoneWsUrl: string | readonly string[] }): Promise<void> {
  await app.register(helmet, securityHeaders({ publicUrl: o.publicUrl, softphoneWsUrl: o.softphoneWsUrl }));

  app.setErrorHandler((err: FastifyError | CtiError, req, reply) => {
    if ('validation' in err && err.validation) {
      const ctx = err.validationContext ?? 'request';
      const first = err.validation[0];
      const param = (first?.instancePath ?? '').replace(/^\//, '') || String((first?.params as { missingProperty?: string; additionalProperty?: string })?.missingProperty ?? (first?.params as { additionalProperty?: string })?.additionalProperty ?? '');
      const message = `${param || ctx}: ${first?.message ?? 'is not valid'}${(first?.params as { additionalProperty?: string })?.additionalProperty ? ' (unknown parameter)' : ''}`;
      return reply.code(400).send({ error: { code: 'CTI_ERR_BAD_REQUEST', message } });
    }
    const { status, body } = toHttp(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send(body);
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'CTI connector API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  // Swagger UI runs under the same policy, but its bundle injects a <style> element: its pages alone
  // get style-src 'unsafe-inline' (scripts stay 'self' only). No call-outs to validator.swagger.io.
  await app.register(swaggerUi, {
    routePrefix: '/api/docs', uiConfig: { validatorUrl: null },
    transformStaticCSP: (csp) => swaggerUiPolicy(csp),
  });
}
