import { ConnectorError } from '../errors.js';
import type { AuthDescriptor, Credentials } from '../types.js';

/**
 * Adds `credentials` to a request's headers and URL as `auth` describes: OAuth 2 as a Bearer token,
 * API keys to their header or query parameter (with prefix), basic as an `Authorization: Basic` header.
 * Headers already set by the caller (lowercase keys) win.
 */
export function applyCredentials(
  credentials: Credentials | undefined,
  auth: AuthDescriptor | undefined,
  headers: Record<string, string>,
  url: URL,
): void {
  if (credentials === undefined) return;
  const setHeader = (name: string, value: string): void => {
    const key = name.toLowerCase();
    if (headers[key] === undefined) headers[key] = value;
  };
  switch (credentials.type) {
    case 'oauth2':
      setHeader('authorization', `Bearer ${credentials.accessToken}`);
      return;
    case 'basic':
      setHeader(
        'authorization',
        `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`,
      );
      return;
    case 'api_key': {
      if (auth?.type !== 'api_key') {
        throw new ConnectorError(
          'API key credentials need an api_key auth descriptor to know where keys go',
          {
            reason: 'config',
          },
        );
      }
      for (const field of auth.fields) {
        const value = credentials.values[field.name];
        if (value === undefined || value === '') {
          throw new ConnectorError(`API key field "${field.name}" is missing from the credentials`, {
            reason: 'config',
          });
        }
        const sent = `${field.prefix ?? ''}${value}`;
        if (field.in === 'header') setHeader(field.param, sent);
        else url.searchParams.set(field.param, sent);
      }
      return;
    }
    case 'none':
      return;
  }
}
