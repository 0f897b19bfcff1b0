// A typed wrapper over EventEmitter: event names and payloads checked at compile time.
import { EventEmitter } from 'node:events';

export class TypedEmitter<Events extends { [K in keyof Events]: (...args: any[]) => void }> {
  private readonly ee = new EventEmitter();
  constructor() {
    this.ee.setMaxListeners(100);
  }
  on<K extends keyof Events & string>(event: K, listener: Events[K]): this {
    this.ee.on(event, listener);
    return this;
  }
  once<K extends keyof Events & string>(event: K, listener: Events[K]): this {
    this.ee.once(event, listener);
    return this;
  }
  off<K extends keyof Events & string>(event: K, listener: Events[K]): this {
    this.ee.off(event, listener);
    return this;
  }
  protected emit<K extends keyof Events & string>(event: K, ...args: Parameters<Events[K]>): void {
    this.ee.emit(event, ...args);
  }
}
