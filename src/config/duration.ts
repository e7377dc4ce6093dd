const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A schema-valid duration (seconds as a number, or "500ms", "30s", "2m", "1h") in milliseconds. */
export function durationMs(value: number | string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  if (typeof value === 'number') return Math.round(value * 1000);
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  // The schema admits nothing else, so reaching here with another shape is a bug upstream.
  if (!m) throw new Error(`not a duration: ${value}`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/** 600000 -> "10m", 1500 -> "1.5s": the shortest honest way to print a duration. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(2))}s`;
  return `${ms}ms`;
}
