import { ConnectorError } from '../errors.js';

const PLACEHOLDER = /\{([a-zA-Z0-9_]+)\}/g;

/**
 * Replaces `{name}` placeholders in a URL template with values from `config`. A placeholder that
 * opens the template (`{baseUrl}/oauth/token`) takes a whole http(s) base URL (origin and path); elsewhere values are
 * percent-encoded (a `:` is kept, for `host:port`). A missing value throws a `ConnectorError` with
 * reason `config` naming the field.
 *
 * @example
 * ```ts
 * fillTemplate('https://api.{site}/oauth2/v1/token', { site: 'datadoghq.eu' });
 * // 'https://api.datadoghq.eu/oauth2/v1/token'
 * ```
 */
export function fillTemplate(url: string, config: Record<string, unknown>): string {
  return url.replace(PLACEHOLDER, (_match, name: string, offset: number) => {
    const value = config[name];
    if (value === undefined || value === null || value === '') {
      throw new ConnectorError(`Connector config is missing "${name}", which the URL ${redact(url)} needs`, {
        reason: 'config',
      });
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new ConnectorError(`Connector config "${name}" must be a string to fill the URL ${redact(url)}`, {
        reason: 'config',
      });
    }
    const text = String(value);
    if (offset === 0) return originOf(text, name);
    return encodeURIComponent(text).replaceAll('%3A', ':');
  });
}

function originOf(value: string, name: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
      // Keep a context path (`https://jira.example.com/jira`) but not a trailing slash.
      return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
    }
  } catch {
    // Reported below with the field name.
  }
  throw new ConnectorError(`Connector config "${name}" must be an http(s) URL`, { reason: 'config' });
}

// The template itself is from the connector's code, but drop any query so the message stays clean.
function redact(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
