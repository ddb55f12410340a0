import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A secret-looking string planted in every body a fault answers with: the server must never pass it on
 * in one of its own answers (an error message quoting the provider's body would).
 */
export const FAULT_CANARY = 'fault-canary-at-5f0c2e9b7d4a41c8';

/** How the provider misbehaves for one request. */
export type ProviderFault =
  /** Reads the request and never answers (until the front closes). */
  | { kind: 'hang' }
  /** Answers as the provider does, `delayMs` late. */
  | { kind: 'slow'; delayMs: number }
  /** Holds the request until `released` settles, then forwards it. */
  | { kind: 'gate'; released: Promise<void> }
  /** A 5xx JSON error that names a token-looking value. */
  | { kind: 'server-error'; status: number }
  /** 200 `application/json` whose body is cut short. */
  | { kind: 'malformed-json' }
  /** A load balancer's or login page's HTML, with `status`. */
  | { kind: 'html'; status: number }
  /** 200 and the first bytes of a longer JSON body, then nothing more. */
  | { kind: 'stall' }
  /** The connection is reset before any answer. */
  | { kind: 'reset' };

/** A request as the front read it, whole. */
export interface FrontRequest {
  method: string;
  path: string;
  authorization: string;
  body: string;
}

export interface FaultyProvider {
  /** `http://127.0.0.1:<port>`: name it where the provider's origin would be. */
  readonly url: string;
  /** Every request, with the fault it met (`undefined`: forwarded as it came). */
  readonly seen: ReadonlyArray<FrontRequest & { fault: ProviderFault['kind'] | undefined }>;
  /** The next `times` requests `matches` accepts meet `fault`; later rules are tried first. */
  inject(matches: (request: FrontRequest) => boolean, fault: ProviderFault, times?: number): void;
  close(): Promise<void>;
}

interface Rule {
  matches: (request: FrontRequest) => boolean;
  fault: ProviderFault;
  remaining: number;
}

function answer(outgoing: ServerResponse, status: number, contentType: string, body: string): void {
  outgoing.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  outgoing.end(body);
}

const HTML_PAGE = `<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Our engineers are on it</h1><p>reference ${FAULT_CANARY}</p></body></html>`;

/**
 * A loopback front for a fake provider: forwards every request to `target` unchanged unless a rule
 * injected with `inject` matches it, in which case the provider hangs, answers late, fails, answers
 * garbage, stalls mid-body or resets the connection. Used to prove the server stays bounded and stores
 * nothing when a provider misbehaves.
 */
export async function startFaultyProvider(target: string): Promise<FaultyProvider> {
  const rules: Rule[] = [];
  const seen: Array<FrontRequest & { fault: ProviderFault['kind'] | undefined }> = [];

  function forward(incoming: IncomingMessage, outgoing: ServerResponse, body: Buffer) {
    const destination = new URL(incoming.url ?? '/', target);
    const forwarded = httpRequest(
      destination,
      { method: incoming.method, headers: { ...incoming.headers, host: destination.host } },
      (upstream) => {
        outgoing.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    forwarded.end(body);
  }

  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const request: FrontRequest = {
        method: incoming.method ?? 'GET',
        path: new URL(incoming.url ?? '/', 'http://front').pathname,
        authorization: String(incoming.headers.authorization ?? ''),
        body: body.toString('utf8'),
      };
      const rule = [...rules].reverse().find((each) => each.remaining > 0 && each.matches(request));
      if (rule !== undefined) rule.remaining -= 1;
      const fault = rule?.fault;
      seen.push({ ...request, fault: fault?.kind });
      switch (fault?.kind) {
        case undefined:
          return forward(incoming, outgoing, body);
        case 'hang':
          return;
        case 'slow':
          setTimeout(() => forward(incoming, outgoing, body), fault.delayMs);
          return;
        case 'gate':
          void fault.released.then(() => forward(incoming, outgoing, body));
          return;
        case 'server-error':
          return answer(
            outgoing,
            fault.status,
            'application/json',
            JSON.stringify({ error: 'server_error', message: `upstream failed for ${FAULT_CANARY}` }),
          );
        case 'malformed-json':
          return answer(outgoing, 200, 'application/json', `{"access_token":"${FAULT_CANARY}","object":`);
        case 'html':
          return answer(outgoing, fault.status, 'text/html; charset=utf-8', HTML_PAGE);
        case 'stall':
          outgoing.writeHead(200, { 'content-type': 'application/json', 'content-length': 4096 });
          outgoing.write(`{"access_token":"${FAULT_CANARY}",`);
          return;
        case 'reset':
          outgoing.socket?.destroy();
          return;
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    inject(matches, fault, times = Number.POSITIVE_INFINITY) {
      rules.push({ matches, fault, remaining: times });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
