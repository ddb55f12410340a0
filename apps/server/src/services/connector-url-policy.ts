import { parseOriginOverrides } from '@cfm/connector-sdk';

/** What an admin-declared connector URL may be. */
export interface ConnectorUrlPolicy {
  /** `ALLOW_INSECURE_CONNECTOR_URLS`: plain `http` is accepted for loopback hosts only. */
  allowInsecureLoopback: boolean;
  /** Origins named in `CONNECTOR_ORIGIN_OVERRIDES` (either side): the operator vouches for them. */
  trustedOrigins: ReadonlySet<string>;
}

/** The policy from configuration; a malformed override list trusts nothing (config parsing reports it elsewhere). */
export function createConnectorUrlPolicy(options: {
  allowInsecureConnectorUrls: boolean;
  connectorOriginOverrides?: string | undefined;
}): ConnectorUrlPolicy {
  const trusted = new Set<string>();
  if (options.connectorOriginOverrides !== undefined) {
    for (const [from, to] of parseOriginOverrides(options.connectorOriginOverrides)) {
      trusted.add(from);
      trusted.add(to);
    }
  }
  return { allowInsecureLoopback: options.allowInsecureConnectorUrls, trustedOrigins: trusted };
}

/** The refusal of an `http://` URL names the switch a developer running a local provider needs. */
export const HTTPS_REQUIRED =
  'must use https (for local development only, ALLOW_INSECURE_CONNECTOR_URLS=true accepts http:// on loopback hosts)';
export const INSECURE_LOOPBACK_ONLY =
  'must use https (ALLOW_INSECURE_CONNECTOR_URLS accepts plain http:// for loopback hosts only)';

const PLACEHOLDER = /\{[a-zA-Z0-9_]+\}/;
const PLACEHOLDER_GLOBAL = /\{[a-zA-Z0-9_]+\}/g;
/**
 * Loopback by name or address, on the WHATWG-normalised host (`127.1` is already `127.0.0.1`, hosts are
 * lower case, `[::ffff:127.0.0.1]` is `[::ffff:7f00:1]`): `localhost` (with or without the trailing root
 * dot; not `*.localhost`, which a resolver may send elsewhere), 127.0.0.0/8, `[::1]` and IPv4-mapped 127.0.0.0/8. `0.0.0.0` is not
 * loopback (it means "any address" and reaches other interfaces on some systems), so it stays refused.
 */
function isLoopback(hostname: string): boolean {
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name === 'localhost') return true;
  if (/^127(?:\.\d{1,3}){3}$/.test(name)) return true;
  return name === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name);
}

/**
 * Why `url` is not acceptable for a custom connector, or undefined when it is. `{placeholders}` (filled
 * from the connection's config at run time) are allowed in the path and query, not in the origin, so the
 * origin can be checked now: https, or http on a loopback host when allowed, or an operator-trusted origin.
 */
export function connectorUrlProblem(url: string, policy: ConnectorUrlPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.replaceAll(PLACEHOLDER_GLOBAL, 'placeholder'));
  } catch {
    return 'must be an absolute URL';
  }
  if (parsed.username !== '' || parsed.password !== '') return 'must not contain a user name or password';
  const origin = /^[^/?#]*\/\/[^/?#]*/.exec(url)?.[0] ?? url;
  if (PLACEHOLDER.test(origin)) return 'must not have a {placeholder} in its scheme, host or port';
  if (policy.trustedOrigins.has(parsed.origin)) return undefined;
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:') {
    if (policy.allowInsecureLoopback && isLoopback(parsed.hostname)) return undefined;
    return policy.allowInsecureLoopback ? INSECURE_LOOPBACK_ONLY : HTTPS_REQUIRED;
  }
  return 'must be an https URL';
}
