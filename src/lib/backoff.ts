// Reconnect delays: exponential from `min` to `max`, with jitter so many services do not stampede.
export function backoffDelay(attempt: number, min = 500, max = 30_000, random: () => number = Math.random): number {
  const base = Math.min(max, min * 2 ** Math.max(0, attempt));
  return Math.round(base / 2 + (random() * base) / 2);
}
