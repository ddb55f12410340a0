/**
 * What may go into `audit_events.detail`: short, non-secret facts. The callers already pass only such
 * facts; this is the second line, so a careless `detail: { ...something }` cannot store a token:
 * - keys that name a secret or free-form payload (token, secret, password, authorization, cookie,
 *   credential, api key, code, query, body, header…) are dropped;
 * - strings that look like a credential (`Bearer …`, `Basic …`, a JWT, a service key) become `[redacted]`;
 * - paths and URLs lose their query string and fragment; strings are cut at 256 characters;
 * - nesting stops at two levels and arrays at 50 items; a detail larger than 4 KB is replaced.
 */
const SECRET_KEY =
  /token|secret|passw|authori[sz]ation|cookie|credential|api[_-]?key|private|signature|verifier|^code$|query|body|headers?$/i;
const CREDENTIAL_VALUE = /^(?:(?:Bearer|Basic)\s+\S|cfm_sk_|eyJ[A-Za-z0-9_-]{8,}\.)/i;
const MAX_STRING = 256;
const MAX_ITEMS = 50;
const MAX_DEPTH = 2;
const MAX_BYTES = 4096;

function cleanString(value: string): string {
  if (CREDENTIAL_VALUE.test(value.trim())) return '[redacted]';
  let text = value;
  if (text.startsWith('/') || /^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    text = text.replace(/[?#].*$/s, '');
  }
  return text.length > MAX_STRING ? `${text.slice(0, MAX_STRING)}…` : text;
}

function cleanValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') return cleanString(value);
  if (Array.isArray(value)) {
    return value
      .slice(0, MAX_ITEMS)
      .map((item) => cleanValue(item, depth + 1))
      .filter((item) => item !== undefined);
  }
  if (typeof value === 'object' && depth < MAX_DEPTH)
    return cleanObject(value as Record<string, unknown>, depth + 1);
  return undefined;
}

function cleanObject(value: Record<string, unknown>, depth: number): Record<string, unknown> {
  const clean: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value).slice(0, MAX_ITEMS)) {
    if (SECRET_KEY.test(key) || key === '__proto__') continue;
    const cleaned = cleanValue(item, depth);
    if (cleaned !== undefined) clean[key] = cleaned;
  }
  return clean;
}

export function cleanAuditDetail(detail: Record<string, unknown> | undefined): Record<string, unknown> {
  if (detail === undefined) return {};
  const clean = cleanObject(detail, 0);
  return Buffer.byteLength(JSON.stringify(clean)) > MAX_BYTES ? { detail_dropped: 'too large' } : clean;
}
