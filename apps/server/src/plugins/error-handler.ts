import type { Duplex } from 'node:stream';
import { isDatabaseUnavailableError } from '@cfm/db';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, type ErrorCode, type ErrorDetail, httpReason, toErrorBody } from '../errors.js';
import { ServiceError, type ServiceErrorCode } from '../services/service-error.js';
import { describeValidationIssues } from '../validation.js';

// Every service code must be an API code too (a compile error here means: add it to `ERROR_CODES`).
const serviceCodeIsApiCode = (code: ServiceErrorCode): ErrorCode => code;

/** Seconds to wait before retrying when a retryable 503 does not say (the refresher's first backoff). */
const DEFAULT_RETRY_AFTER_SECONDS = 30;

/** A `ServiceError` as the API answers it: same code, status and message, plus its safe extras. */
export function fromServiceError(error: ServiceError): AppError {
  const headers: Record<string, string> = {};
  if ((error.retryable && error.statusCode === 503) || error.statusCode === 429) {
    const seconds =
      error.retryAfterMs === undefined
        ? DEFAULT_RETRY_AFTER_SECONDS
        : Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    headers['retry-after'] = String(seconds);
  }
  return new AppError(serviceCodeIsApiCode(error.code), error.message, {
    cause: error,
    headers,
    ...(error.providerCode !== undefined && { providerError: error.providerCode }),
    ...(error.missingVariables !== undefined && { missingVariables: [...error.missingVariables] }),
    ...(error.details !== undefined && { details: [...error.details] }),
  });
}

/** Fastify's own client errors, mapped to our codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'CFM_INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'CFM_INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'CFM_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'CFM_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'CFM_BAD_REQUEST',
};

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'CFM_BAD_REQUEST',
  401: 'CFM_UNAUTHORIZED',
  403: 'CFM_FORBIDDEN',
  404: 'CFM_NOT_FOUND',
  405: 'CFM_METHOD_NOT_ALLOWED',
  406: 'CFM_NOT_ACCEPTABLE',
  409: 'CFM_CONFLICT',
  413: 'CFM_PAYLOAD_TOO_LARGE',
  415: 'CFM_UNSUPPORTED_MEDIA_TYPE',
  429: 'CFM_RATE_LIMITED',
};

/**
 * Seconds a client should wait after `CFM_DB_UNAVAILABLE`: the pool replaces a lost connection on the
 * next query, so a failover or a restart of PostgreSQL is the usual wait.
 */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * PostgreSQL refusing text it cannot store (a NUL character, `\u0000` in JSON): the request's fault. The
 * routes refuse NUL in bodies, queries and parameters first; this catches what reaches the database
 * another way (a JWT claim, a provider's answer).
 */
const INVALID_TEXT = new Set([
  '22P05', // untranslatable_character, "unsupported Unicode escape sequence"
  '22021', // character_not_in_repertoire, "invalid byte sequence for encoding"
]);

/** One `{ field, message }` per field and problem: `body/connector_key` + `must be string`. */
function validationDetails(error: FastifyError): ErrorDetail[] {
  return describeValidationIssues(error.validation ?? [], error.validationContext ?? 'body');
}

/** Turns anything thrown into an `AppError`, keeping internals out of client-visible messages. */
export function toAppError(error: unknown): AppError {
  if (AppError.is(error)) {
    return error;
  }
  if (ServiceError.is(error)) {
    return fromServiceError(error);
  }
  const fastifyError = error as Partial<FastifyError> & { code?: string };
  if (fastifyError.validation !== undefined) {
    const details = validationDetails(fastifyError as FastifyError);
    const message = details.map((detail) => `${detail.field} ${detail.message}`).join(', ');
    return new AppError('CFM_VALIDATION', message, { details, cause: error });
  }
  const mapped = fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code];
  if (mapped !== undefined) {
    return new AppError(mapped, undefined, { cause: error });
  }
  if (isDatabaseUnavailableError(error)) {
    return new AppError('CFM_DB_UNAVAILABLE', undefined, {
      cause: error,
      headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
    });
  }
  if (fastifyError.code !== undefined && INVALID_TEXT.has(fastifyError.code)) {
    return new AppError(
      'CFM_BAD_REQUEST',
      'The request contains text that cannot be stored (a NUL character)',
      {
        cause: error,
      },
    );
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    // Fastify's own 4xx errors describe the request, not our internals: their message is safe to show.
    const code = STATUS_CODES[status] ?? 'CFM_BAD_REQUEST';
    return new AppError(code, fastifyError.message || httpReason(status), { cause: error });
  }
  return new AppError('CFM_INTERNAL', undefined, { cause: error });
}

/**
 * Node's refusals before a request reaches Fastify (request or headers timeout, oversized headers,
 * malformed HTTP), answered in our shape on the raw socket, which is then closed. Fastify's
 * `clientErrorHandler`.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // A reset socket is gone already: nothing to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const appError =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new AppError('CFM_REQUEST_TIMEOUT')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new AppError('CFM_HEADERS_TOO_LARGE')
        : new AppError('CFM_BAD_REQUEST', 'The request is not valid HTTP');
  const body = JSON.stringify(toErrorBody(appError));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${appError.statusCode} ${httpReason(appError.statusCode)}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  return reply
    .code(error.statusCode)
    .headers(error.headers)
    .type('application/json')
    .send(toErrorBody(error));
}

/**
 * `error` as the API answers it, logged on the way: a 5xx with its cause under `message`, anything else
 * at info with its (client-safe) message.
 */
export function loggedAppError(request: FastifyRequest, error: unknown, message: string): AppError {
  const appError = toAppError(error);
  if (appError.statusCode >= 500) {
    request.log.error({ err: error, code: appError.code }, message);
  } else {
    request.log.info({ code: appError.code, statusCode: appError.statusCode }, appError.message);
  }
  return appError;
}

/** One JSON error shape for every failure, and `CFM_ROUTE_NOT_FOUND` for unknown routes. */
export const errorHandlerPlugin = fp(
  async (app) => {
    app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) =>
      sendError(reply, loggedAppError(request, error, 'request failed')),
    );

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0];
      return sendError(
        reply,
        new AppError('CFM_ROUTE_NOT_FOUND', `Route ${request.method} ${path} not found`),
      );
    });
  },
  { name: 'cfm-error-handler', fastify: '5.x' },
);
