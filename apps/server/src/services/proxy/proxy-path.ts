import { ServiceError } from '../service-error.js';

const MAX_PATH_LENGTH = 4096;
/** Rounds of percent-decoding looked through: `%252e%252e` is `..` after two. */
const DECODE_ROUNDS = 4;

function refuse(reason: string): never {
  throw new ServiceError('CFM_PROXY_PATH_INVALID', `The proxy path is not allowed: ${reason}`);
}

function decodeFully(path: string): string {
  let current = path;
  for (let round = 0; round < DECODE_ROUNDS; round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      refuse('it is not valid percent-encoding');
    }
    if (decoded === current) return current;
    current = decoded;
  }
  // Still changing after several rounds: nobody encodes a real path that often.
  refuse('it is encoded too many times');
}

/**
 * Checks the path a caller wants appended to a connector's API base URL and returns it as sent (still
 * percent-encoded, so the provider sees exactly what the caller wrote). Refused, looking through every
 * level of percent-encoding: `.` and `..` segments (even ones that would stay inside the base), empty
 * segments (`//`), backslashes, `@`, a scheme (`http:`), `?` or `#` smuggled in encoded form, control
 * characters, and anything too long. Nothing reaches the provider for a refused path.
 *
 * @example
 * checkProxyPath('rest/api/3/myself');   // 'rest/api/3/myself'
 * checkProxyPath('a/%2e%2e/secret');     // throws CFM_PROXY_PATH_INVALID
 */
export function checkProxyPath(rawPath: string): string {
  if (rawPath.length > MAX_PATH_LENGTH) refuse('it is too long');
  if (rawPath === '') return '';
  const decoded = decodeFully(rawPath);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
  if (/[\u0000-\u001f\u007f]/.test(decoded)) refuse('it holds control characters');
  if (decoded.includes('\\')) refuse('it holds a backslash');
  if (decoded.includes('@')) refuse('it holds "@"');
  if (/[?#]/.test(decoded)) refuse('it holds an encoded "?" or "#"');
  if (decoded.startsWith('/')) refuse('it starts with "/" (the base URL already ends the host part)');
  if (/^[a-z][a-z0-9+.-]*:/i.test(decoded)) refuse('it is an absolute URL');
  const segments = decoded.split('/');
  segments.forEach((segment, index) => {
    if (segment === '.' || segment === '..') refuse('it holds a "." or ".." segment');
    // A trailing slash is a real path form (`/v1/files/`); an empty segment anywhere else is `//`.
    if (segment === '' && index !== segments.length - 1) refuse('it holds "//"');
  });
  return rawPath;
}

/** The URL the proxy calls: base + `/` + path + query; refused when it would leave the base. */
export function proxyTargetUrl(baseUrl: string, path: string, rawQuery: string): URL {
  const base = new URL(baseUrl);
  const target = new URL(`${baseUrl.replace(/\/+$/, '')}/${path}${rawQuery === '' ? '' : `?${rawQuery}`}`);
  const basePath = base.pathname.replace(/\/+$/, '');
  if (
    target.origin !== base.origin ||
    target.username !== '' ||
    target.password !== '' ||
    !(target.pathname === basePath || target.pathname.startsWith(`${basePath}/`))
  ) {
    refuse('it leaves the provider API base URL');
  }
  return target;
}
