/** Parses `value` as a bare http(s) origin; returns an error description when it is not one. */
function toOrigin(value: string): { origin: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `"${value}" is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: `"${value}" is not http(s)` };
  if (url.username || url.password) return { problem: `"${url.origin}" must not contain credentials` };
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || value.trim().endsWith('?')) {
    return { problem: `"${url.origin}…" must be an origin only (scheme, host and port, no path or query)` };
  }
  return { origin: url.origin };
}

/**
 * Parses origin overrides such as `https://slack.com=http://127.0.0.1:4010,https://api.notion.com=http://127.0.0.1:4011`
 * (entries separated by commas or whitespace) into a map of origin → replacement origin.
 * Throws an `Error` naming the first bad entry.
 *
 * @example
 * ```ts
 * const rewrite = createOriginRewriter(parseOriginOverrides('https://slack.com=http://127.0.0.1:4010'));
 * rewrite('https://slack.com/api/auth.test?x=1'); // 'http://127.0.0.1:4010/api/auth.test?x=1'
 * ```
 */
export function parseOriginOverrides(text: string): Map<string, string> {
  const overrides = new Map<string, string>();
  for (const entry of text.split(/[,\s]+/)) {
    if (entry === '') continue;
    const separator = entry.indexOf('=');
    if (separator <= 0 || separator === entry.length - 1) {
      throw new Error(`Invalid origin override "${entry}": expected <origin>=<replacement origin>`);
    }
    const from = toOrigin(entry.slice(0, separator));
    const to = toOrigin(entry.slice(separator + 1));
    if ('problem' in from) throw new Error(`Invalid origin override "${entry}": ${from.problem}`);
    if ('problem' in to) throw new Error(`Invalid origin override "${entry}": ${to.problem}`);
    overrides.set(from.origin, to.origin);
  }
  return overrides;
}

/**
 * Returns a function that rewrites a URL whose origin (scheme, host and port) exactly matches a key
 * of `overrides` to the mapped origin, keeping path, query and fragment. Other URLs pass unchanged.
 */
export function createOriginRewriter(overrides: ReadonlyMap<string, string>): (url: string) => string {
  const normalized = new Map<string, string>();
  for (const [from, to] of overrides) normalized.set(new URL(from).origin, new URL(to).origin);
  return (url: string): string => {
    if (normalized.size === 0) return url;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return url;
    }
    const target = normalized.get(parsed.origin);
    if (target === undefined) return url;
    return `${target}${parsed.pathname}${parsed.search}${parsed.hash}`;
  };
}
