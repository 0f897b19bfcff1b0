declare module 'asterisk-manager' {
  import type { EventEmitter } from 'node:events';
  interface AsteriskManagerInstance extends EventEmitter {
    options: { port: number; host: string; username: string; password: string; events: boolean };
    connect(port: number, host: string, cb?: (err?: Error | null) => void): void;
    login(cb?: (err?: unknown) => void): void;
    action(action: Record<string, unknown>, cb?: (err: unknown, res?: Record<string, unknown>) => void): string;
    disconnect(cb?: () => void): void;
    isConnected(): boolean;
    keepConnected(): void;
  }
  interface AsteriskManagerFactory {
    (port?: number, host?: string, username?: string, password?: string, events?: boolean): AsteriskManagerInstance;
    new (port?: number, host?: string, username?: string, password?: string, events?: boolean): AsteriskManagerInstance;
  }
  const AsteriskManager: AsteriskManagerFactory;
  export default AsteriskManager;
}
declare module 'ari-client' {
  const ari: { connect(url: string, user: string, password: string): Promise<AriClient> };
  export interface AriClient {
    on(event: string, cb: (...args: any[]) => void): void;
    removeAllListeners(event?: string): void;
    start(apps: string | string[]): void;
    stop(): void;
    asterisk: { getInfo(): Promise<unknown>; setGlobalVar(params: { variable: string; value?: string }): Promise<void> };
    channels: Record<string, (...args: any[]) => Promise<any>>;
  }
  export default ari;
}
