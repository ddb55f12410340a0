import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeRequestRecord, FakeResponse } from './fake-oauth2-types.js';

/** A request with its body read and parsed once. */
export interface ParsedRequest extends FakeRequestRecord {
  /** Raw headers, authorization included (the log copy in `FakeRequestRecord` is redacted). */
  rawHeaders: Record<string, string>;
  bodyFormat: 'form' | 'json' | 'other' | 'none';
}

const MAX_BODY_BYTES = 1_000_000;

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('fake provider: request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function flattenHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** Keeps the scheme so tests can tell Basic from Bearer, hides the credential. */
function redactAuthorization(value: string): string {
  const scheme = value.split(' ')[0] ?? '';
  return `${scheme} [redacted]`;
}

export async function parseRequest(request: IncomingMessage): Promise<ParsedRequest> {
  const url = new URL(request.url ?? '/', 'http://fake.invalid');
  const rawHeaders = flattenHeaders(request);
  const text = await readText(request);
  const contentType = (rawHeaders['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let body: unknown;
  let bodyFormat: ParsedRequest['bodyFormat'] = 'none';
  if (text.length > 0) {
    if (contentType === 'application/x-www-form-urlencoded') {
      body = Object.fromEntries(new URLSearchParams(text));
      bodyFormat = 'form';
    } else if (contentType === 'application/json') {
      try {
        body = JSON.parse(text);
        bodyFormat = 'json';
      } catch {
        // Malformed JSON is the client's bug: keep the text so the handler answers invalid_request.
        body = text;
        bodyFormat = 'other';
      }
    } else {
      body = text;
      bodyFormat = 'other';
    }
  }
  const headers = { ...rawHeaders };
  if (headers['authorization'] !== undefined)
    headers['authorization'] = redactAuthorization(headers['authorization']);
  return {
    method: (request.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    rawHeaders,
    body,
    bodyFormat,
  };
}

/** String fields of a form or JSON body (non-string JSON values are ignored). */
export function bodyFields(request: ParsedRequest): Record<string, string> {
  if (request.bodyFormat !== 'form' && request.bodyFormat !== 'json') return {};
  if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body)) return {};
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.body)) {
    if (typeof value === 'string') fields[name] = value;
  }
  return fields;
}

export function bearerToken(request: ParsedRequest): string | null {
  const header = request.rawHeaders['authorization'];
  const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1]?.trim() ?? null;
}

export function basicCredentials(request: ParsedRequest): { id: string; secret: string } | null {
  const header = request.rawHeaders['authorization'];
  const match = header === undefined ? null : /^Basic\s+(.+)$/i.exec(header);
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
  return {
    id: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
    secret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
  };
}

const REDACTED_FIELDS = new Set(['client_secret', 'code_verifier']);

/** The log copy of a request: the authorization header (already) and secret body fields redacted. */
export function toLogRecord(request: ParsedRequest): FakeRequestRecord {
  const { rawHeaders: _raw, bodyFormat: _format, ...record } = request;
  if (typeof record.body !== 'object' || record.body === null || Array.isArray(record.body)) return record;
  const body: Record<string, unknown> = { ...record.body };
  for (const name of Object.keys(body)) if (REDACTED_FIELDS.has(name)) body[name] = '[redacted]';
  return { ...record, body };
}

export function send(response: ServerResponse, answer: FakeResponse): void {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  for (const [name, value] of Object.entries(answer.headers ?? {})) headers[name.toLowerCase()] = value;
  let payload = '';
  if (typeof answer.body === 'string') {
    payload = answer.body;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (answer.body !== undefined) {
    payload = JSON.stringify(answer.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(Buffer.byteLength(payload));
  response.writeHead(answer.status, headers);
  response.end(payload);
}

export function redirect(location: string): FakeResponse {
  return { status: 302, headers: { location } };
}
