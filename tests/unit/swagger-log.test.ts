// swagger-client's global `log` (src/pbx/swagger-log.ts): Asterisk's Swagger 1.1 notice is dropped,
// anything else it says still reaches our log.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { routeSwaggerLog } from '../../src/pbx/swagger-log.js';

describe("swagger-client's log", () => {
  it('drops the Swagger 1.1 deprecation notice and keeps everything else, as a warning', () => {
    const lines: { level: number; msg: string; said: string[] }[] = [];
    routeSwaggerLog(pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s)); } }));
    const log = (globalThis as unknown as { log: (...a: unknown[]) => void }).log;
    log('This API is using a deprecated version of Swagger!  Please see http://github.com/wordnik/swagger-core/wiki for more info');
    expect(lines).toEqual([]);
    log("server can't produce application/xml");
    log({ status: 500 }, 'error', 'Internal Server Error');
    expect(lines.map((l) => [l.level, l.said])).toEqual([
      [40, ["server can't produce application/xml"]],
      [40, ['{ status: 500 }', 'error', 'Internal Server Error']],
    ]);
  });
});
