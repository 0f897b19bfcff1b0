// One pino root logger; features take child loggers (a call gets log.child({ callId, linkedId, ext })).
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'cti'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
