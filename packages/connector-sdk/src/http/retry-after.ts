/** Header lookup that tolerates any casing. */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

// Values above this are Unix timestamps (seconds), not durations: GitHub-style resets.
const EPOCH_SECONDS_THRESHOLD = 1_000_000_000;

/**
 * How long a provider asked us to wait, in milliseconds, from `Retry-After` (seconds or HTTP-date)
 * or else `X-RateLimit-Reset` (ISO time, seconds until reset as Datadog sends, or a Unix timestamp).
 * Returns undefined when neither header is present or readable.
 */
export function parseRetryAfter(
  headers: Record<string, string>,
  now: number = Date.now(),
): number | undefined {
  const retryAfter = headerValue(headers, 'retry-after')?.trim();
  if (retryAfter) {
    const parsed = parseDelay(retryAfter, now, false);
    if (parsed !== undefined) return parsed;
  }
  const reset = headerValue(headers, 'x-ratelimit-reset')?.trim();
  if (reset) return parseDelay(reset, now, true);
  return undefined;
}

function parseDelay(value: string, now: number, allowEpoch: boolean): number | undefined {
  if (/^\d+(\.\d+)?$/.test(value)) {
    const seconds = Number(value);
    if (allowEpoch && seconds > EPOCH_SECONDS_THRESHOLD) return Math.max(0, seconds * 1000 - now);
    return Math.round(seconds * 1000);
  }
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
