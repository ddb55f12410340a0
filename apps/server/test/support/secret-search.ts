/** Text to search: Buffers (bytea/blob columns) are read as latin1 so stored plaintext would show. */
export function searchableText(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (
      typeof inner === 'object' &&
      inner !== null &&
      (inner as { type?: unknown }).type === 'Buffer' &&
      Array.isArray((inner as { data?: unknown }).data)
    ) {
      return Buffer.from((inner as { data: number[] }).data).toString('latin1');
    }
    return inner instanceof Date ? inner.toISOString() : inner;
  });
}

export interface Secret {
  /** What it is (`access token`, `client secret`…), for the failure message. */
  kind: string;
  value: string;
}

/**
 * Each secret, plus its base64 and base64url forms (a naive "encoding" is still a leak), mapped to a
 * masked name (kind, first characters, length) so a failure message does not print the secret itself.
 */
export function searchTerms(secrets: Iterable<Secret>): Map<string, string> {
  const terms = new Map<string, string>();
  for (const { kind, value } of secrets) {
    if (value.length < 8) throw new Error(`a ${kind} shorter than 8 characters makes a weak search term`);
    const name = `${kind} ${value.slice(0, 6)}… (${value.length} characters)`;
    terms.set(value, name);
    terms.set(Buffer.from(value).toString('base64'), `${name}, base64`);
    terms.set(Buffer.from(value).toString('base64url'), `${name}, base64url`);
  }
  return terms;
}

/** The secrets (as named by `terms`) found in `text`; an empty list means clean. */
export function leakedSecrets(text: string, terms: Map<string, string>): string[] {
  const leaked = new Set<string>();
  for (const [term, name] of terms) {
    if (text.includes(term)) leaked.add(name);
  }
  return [...leaked];
}
