/** RFC 9110 §7.6.1 connection-specific headers: they describe one hop, never the message. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/**
 * Caller headers that never reach the provider: our own credentials (the caller's JWT or service key),
 * the caller's cookies, where the call came from (forwarding headers, origin, referer) and how it came
 * (host, length, expectations: set anew for the provider's request).
 */
const NEVER_FORWARDED = new Set([
  'authorization',
  'cookie',
  'host',
  'content-length',
  'expect',
  'forwarded',
  'via',
  'x-real-ip',
  'origin',
  'referer',
  'x-request-id',
  'x-cfm-user',
]);

function droppedRequestHeader(name: string): boolean {
  return (
    HOP_BY_HOP.has(name) ||
    NEVER_FORWARDED.has(name) ||
    name.startsWith('x-forwarded-') ||
    name.startsWith('proxy-') ||
    name.startsWith('sec-') ||
    name.startsWith(':')
  );
}

/** Also dropped: whatever the connection's own `Connection:` header lists as hop-by-hop. */
function listedInConnection(headers: Record<string, string | string[] | undefined>): Set<string> {
  const value = headers['connection'];
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    text
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
}

/**
 * The caller's headers the provider may see: content headers (`content-type`, `content-encoding`),
 * `accept*`, conditional and range headers, and the API's own (`notion-version`, `x-…`). `credentialNames`
 * are the headers the connection's credentials go in (`authorization`, `dd-api-key`): a caller cannot set
 * them, so the provider always sees the connection's own.
 */
export function forwardedRequestHeaders(
  incoming: Record<string, string | string[] | undefined>,
  credentialNames: Iterable<string> = [],
): Record<string, string> {
  const listed = listedInConnection(incoming);
  const credentials = new Set([...credentialNames].map((name) => name.toLowerCase()));
  const headers: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(incoming)) {
    const name = rawName.toLowerCase();
    if (value === undefined || droppedRequestHeader(name) || listed.has(name) || credentials.has(name))
      continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * The provider's response headers the caller gets: all but hop-by-hop ones, cookies (the provider's
 * session is not the caller's business) and `content-length` when the body is re-framed by our server.
 */
export function returnedResponseHeaders(
  incoming: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const listed = listedInConnection(incoming);
  const headers: Record<string, string | string[]> = {};
  for (const [rawName, value] of Object.entries(incoming)) {
    const name = rawName.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    if (name === 'set-cookie' || name === 'set-cookie2' || name.startsWith('proxy-')) continue;
    headers[name] = value;
  }
  return headers;
}
