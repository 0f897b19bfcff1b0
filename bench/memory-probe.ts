// Preloaded into a service process by the sandbox benches (NODE_OPTIONS="--expose-gc --import=<this
// file>", bench/sandbox-load.ts): on SIGUSR2 it collects garbage and writes the process's memory as one
// JSON line to CTI_BENCH_MEMORY_FILE, so a bench can watch the heap of a service it did not start in
// its own process. Nothing else of the service changes.
import { writeFileSync } from 'node:fs';

const file = process.env['CTI_BENCH_MEMORY_FILE'];
if (file) {
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    writeFileSync(file, `${JSON.stringify({ at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external })}\n`);
  });
}
