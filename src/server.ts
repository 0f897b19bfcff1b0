// Entry point: read config, build the app, listen, and stop cleanly on SIGTERM/SIGINT.
import { ConfigError, loadServiceConfig } from './config/config.js';
import { MigrationBlockedError } from './db/client.js';
import { buildApp } from './app.js';

/** onStop: what the caller (the demo) undoes on SIGTERM/SIGINT before the process exits. */
export async function runServer(env: NodeJS.ProcessEnv = process.env, onStop?: () => Promise<void>): Promise<void> {
  let config;
  try {
    config = loadServiceConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`cti: ${err.message}\nSee .env.example for every variable.`);
      process.exit(2);
    }
    throw err;
  }
  let app;
  try {
    app = await buildApp(config);
  } catch (err) {
    if (err instanceof MigrationBlockedError) {
      console.error(`cti: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  // ari-client loads Asterisk's API description with swagger-client, whose SwaggerApi.fail() calls our
  // failure callback and then *throws the message string* outside any promise: an ARI hiccup while
  // connecting would kill the process. The ARI connection already handled it; keep running. Anything
  // else uncaught is a bug: log it and exit so a supervisor restarts us (the CDR reconciles the gap).
  process.on('uncaughtException', (err) => {
    if (typeof err === 'string') {
      app.log.warn({ err }, 'ARI client failure (ignored; the ARI connection retries)');
      return;
    }
    app.log.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    Promise.all([app.close(), onStop?.()]).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await app.listen({ host: config.CTI_HTTP_HOST, port: config.CTI_HTTP_PORT });
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) void runServer();
