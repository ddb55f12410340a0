import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';

/**
 * The deepest nesting of objects and arrays a JSON body may have. Connector configs and credentials
 * are a few levels deep; thousands of levels overflowed the stack in validation (a 500).
 */
export const MAX_JSON_DEPTH = 32;

const NUL = '\u0000';
const NUL_MESSAGE = 'must not contain a NUL character (\\u0000)';

/**
 * True when `text` opens more than `limit` objects or arrays inside each other. A linear scan that
 * skips strings, run before parsing so nothing recursive ever sees a deep document; a malformed one is
 * left for the parser to refuse.
 */
export function jsonNestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c)
        index += 1; // a backslash escapes the next character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b || char === 0x5b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === 0x7d || char === 0x5d) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * The path (`body/config_data/name`) of the first string or key holding a NUL character, or undefined.
 * PostgreSQL stores neither in `text` nor in `jsonb`, and no API field has a use for one.
 */
export function findNulCharacter(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findNulCharacter(item, `${path}/${index}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    if (key.includes(NUL)) return path;
    const found = findNulCharacter(item, `${path}/${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function nulRefusal(field: string): AppError {
  return new AppError('CFM_VALIDATION', `${field} ${NUL_MESSAGE}`, {
    details: [{ field, message: NUL_MESSAGE }],
  });
}

/**
 * What every request's input must be before a route sees it:
 * - a JSON body that is empty is no body (a generated client sends `Content-Type: application/json`
 *   on a DELETE too), not `CFM_INVALID_JSON`;
 * - a JSON body nested more than {@link MAX_JSON_DEPTH} levels is `CFM_BODY_TOO_DEEP`;
 * - a NUL character in a body string, a query or a path parameter is `CFM_VALIDATION`.
 * Prototype poisoning (`__proto__`, `constructor.prototype`) stays refused by Fastify's own parser.
 * Route groups that take raw bodies (the proxy) replace the parsers in their own scope.
 */
export const requestInputPlugin = fp(
  async (app) => {
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = body as string;
      if (text.length === 0) {
        done(null, undefined);
        return;
      }
      if (jsonNestingExceeds(text, MAX_JSON_DEPTH)) {
        const message = `The request body is nested more than ${MAX_JSON_DEPTH} levels deep`;
        done(new AppError('CFM_BODY_TOO_DEEP', message), undefined);
        return;
      }
      parseJson(request, text, (error, value) => {
        if (error !== null) {
          done(error, undefined);
          return;
        }
        const field = findNulCharacter(value, 'body');
        done(field === undefined ? null : nulRefusal(field), field === undefined ? value : undefined);
      });
    });

    // After authentication (onRequest), before schema validation. Callback style: it runs on every request.
    app.addHook(
      'preValidation',
      (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
        const field =
          findNulCharacter(request.query, 'querystring') ?? findNulCharacter(request.params, 'params');
        done(field === undefined ? undefined : nulRefusal(field));
      },
    );
  },
  { name: 'cfm-request-input', fastify: '5.x' },
);
