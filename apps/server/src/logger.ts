import type { DestinationStream, LoggerOptions } from 'pino';

/** Keys whose values are secrets wherever they appear in a log object. */
const SECRET_KEY =
  /token|secret|password|passphrase|code[_-]?verifier|authorization|cookie|api[_-]?key|app(?:lication)?[_-]?key|private[_-]?key/i;
/**
 * Query parameters that carry secrets in URLs: OAuth callbacks carry `code` (and `state`), and a
 * provider's `error_description` is free text we do not control (it may repeat what it was sent).
 */
const SECRET_QUERY_PARAMETER =
  /^(?:code|state|error_description|.*token.*|.*secret.*|.*password.*|code_verifier|.*api[_-]?key.*|.*app(?:lication)?[_-]?key.*)$/i;
const REDACTED = '[Redacted]';

/** Paths pino redacts after serialisation (request and response headers). */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["dd-api-key"]',
  'req.headers["dd-application-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
];

/**
 * Replaces secret-looking values in plain objects, at any depth. pino's `redact` needs exact paths, so
 * this catches the rest (`{ tokens: { access_token } }`, `clientSecret`, `code_verifier`…).
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 6 || typeof value !== 'object' || value === null) {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item) => redactSecrets(item, depth + 1));
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    return value; // requests, errors, buffers: their serializers decide what is logged
  }
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    copy[key] = SECRET_KEY.test(key) && child !== undefined ? REDACTED : redactSecrets(child, depth + 1);
  }
  return copy;
}

/** A URL with secret query values replaced, for logs. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) {
    return url;
  }
  const parameters = new URLSearchParams(url.slice(queryStart + 1));
  for (const name of new Set(parameters.keys())) {
    if (SECRET_QUERY_PARAMETER.test(name)) parameters.set(name, REDACTED);
  }
  return `${url.slice(0, queryStart)}?${parameters.toString().replaceAll('%5BRedacted%5D', REDACTED)}`;
}

interface SerializableRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  id?: string;
}

/** pino options for the server: level, redaction, and a request serializer that never logs secrets. */
export function createLoggerOptions(level: string, stream?: DestinationStream): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    formatters: {
      log: (object) => redactSecrets(object) as Record<string, unknown>,
    },
    serializers: {
      req: (request: SerializableRequest) =>
        // Fastify passes its request; a handler may log a plain `{ req: … }` object (already redacted).
        typeof request?.url === 'string' && typeof request.method === 'string'
          ? {
              method: request.method,
              url: redactUrl(request.url),
              host: request.host,
              remoteAddress: request.ip,
            }
          : request,
    },
    ...(stream === undefined ? {} : { stream }),
  };
}
