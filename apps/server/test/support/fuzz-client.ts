import { type Agent, request as httpRequest } from 'node:http';
import type { FuzzOperation, FuzzRequest } from './openapi-fuzz.js';

/** No answer within this is a hang. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** 5xx answers that speak of a third party (a made-up code the fake provider refused), in our shape. */
export const UPSTREAM_CODES = new Set([
  'CFM_OAUTH_EXCHANGE_FAILED',
  'CFM_PROVIDER_ERROR',
  'CFM_PROVIDER_TIMEOUT',
  'CFM_PROVIDER_UNREACHABLE',
]);

export interface FuzzOutcome {
  status: number | 'no answer' | 'connection failed';
  contentType: string;
  text: string;
}

export function send(
  baseUrl: string,
  agent: Agent,
  request: FuzzRequest,
  authorization: string | undefined,
): Promise<FuzzOutcome> {
  const { hostname, port } = new URL(baseUrl);
  const headers: Record<string, string | number> = {};
  if (authorization !== undefined) headers['authorization'] = authorization;
  if (request.body !== undefined) {
    headers['content-type'] = request.contentType ?? 'application/json';
    headers['content-length'] = Buffer.byteLength(request.body);
  }
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: FuzzOutcome) => {
      if (!settled) resolve(outcome);
      settled = true;
    };
    const outgoing = httpRequest(
      { hostname, port, method: request.method, path: request.path, headers, agent },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', () => settle({ status: response.statusCode ?? 0, contentType: '', text: '' }));
        response.on('end', () =>
          settle({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.setTimeout(REQUEST_TIMEOUT_MS, () => {
      settle({ status: 'no answer', contentType: '', text: '' });
      outgoing.destroy();
    });
    outgoing.on('error', (error) =>
      settle({ status: 'connection failed', contentType: '', text: error.message }),
    );
    outgoing.end(request.body);
  });
}

/** What is wrong with an answer, or undefined. */
export function judge(
  operation: FuzzOperation,
  outcome: FuzzOutcome,
  forbidden: string[],
): string | undefined {
  if (typeof outcome.status !== 'number') return `${outcome.status} ${outcome.text}`;
  let body: { code?: unknown; statusCode?: unknown } = {};
  if (outcome.contentType.includes('json')) {
    try {
      body = JSON.parse(outcome.text);
    } catch {
      return `${outcome.status} with a body that is not JSON: ${outcome.text.slice(0, 120)}`;
    }
  }
  if (outcome.status >= 500 && !(outcome.status !== 503 && UPSTREAM_CODES.has(String(body.code)))) {
    return `${outcome.status} ${String(body.code)}: ${outcome.text.slice(0, 200)}`;
  }
  // The proxy passes the provider's own answers back; every other error is ours, in our shape.
  if (outcome.status >= 400 && !operation.operationId.startsWith('proxyConnection')) {
    if (
      typeof body.code !== 'string' ||
      !/^CFM_[A-Z_]+$/.test(body.code) ||
      body.statusCode !== outcome.status
    ) {
      return `${outcome.status} not in the error shape: ${outcome.text.slice(0, 200)}`;
    }
  }
  const leaked = forbidden.find((secret) => outcome.text.includes(secret));
  return leaked === undefined ? undefined : `the answer contains a secret (${leaked.slice(0, 6)}…)`;
}
