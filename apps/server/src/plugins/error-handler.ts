import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, type ErrorCode, type ErrorDetail, httpReason, toErrorBody } from '../errors.js';
import { ServiceError, type ServiceErrorCode } from '../services/service-error.js';

// Every service code must be an API code too (a compile error here means: add it to `ERROR_CODES`).
const serviceCodeIsApiCode = (code: ServiceErrorCode): ErrorCode => code;

/** Seconds to wait before retrying when a retryable 503 does not say (the refresher's first backoff). */
const DEFAULT_RETRY_AFTER_SECONDS = 30;

/** A `ServiceError` as the API answers it: same code, status and message, plus its safe extras. */
export function fromServiceError(error: ServiceError): AppError {
  const headers: Record<string, string> = {};
  if (error.retryable && error.statusCode === 503) {
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

/** Driver error codes meaning "the database cannot be reached", on either dialect. */
const DATABASE_DOWN = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
]);

interface ValidationIssue {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** One `{ field, message }` per Ajv issue: `body/connector_key` + `must be string`. */
function validationDetails(error: FastifyError): ErrorDetail[] {
  const context = error.validationContext ?? 'body';
  return ((error.validation ?? []) as ValidationIssue[]).map((issue) => {
    const extra = issue.params?.['missingProperty'] ?? issue.params?.['additionalProperty'];
    const path = `${issue.instancePath}${typeof extra === 'string' ? `/${extra}` : ''}`;
    return { field: `${context}${path}`, message: issue.message ?? 'is not valid' };
  });
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
  if (fastifyError.code !== undefined && DATABASE_DOWN.has(fastifyError.code)) {
    return new AppError('CFM_DB_UNAVAILABLE', undefined, { cause: error });
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    // Fastify's own 4xx errors describe the request, not our internals: their message is safe to show.
    const code = STATUS_CODES[status] ?? 'CFM_BAD_REQUEST';
    return new AppError(code, fastifyError.message || httpReason(status), { cause: error });
  }
  return new AppError('CFM_INTERNAL', undefined, { cause: error });
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
