import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GateState {
  /** Requests waiting for release now. */
  held: number;
  /** Requests received so far. */
  seen: number;
}

export interface RequestGate {
  /** The gate's origin: point the connector's origin here (`createOriginRewriter`). */
  url: string;
  readonly held: number;
  /** The most requests that were in the gate (held or forwarded, not yet answered) at one time. */
  readonly maxInFlight: number;
  readonly inFlight: number;
  /** Forwards every held request, and from now on every new one without holding it. */
  openFully(): void;
  close(): Promise<void>;
}

/**
 * A pass-through HTTP server in front of `target` (a fake provider) that holds each request until
 * `releaseWhen` says so (then every held request goes on), so a test can see how many requests a client
 * has in flight at once, or stop a client while some are, without timing anything.
 */
export async function startRequestGate(
  target: string,
  releaseWhen: (state: GateState) => boolean = () => false,
): Promise<RequestGate> {
  const waiting: Array<() => void> = [];
  let seen = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let open = false;
  const releaseAll = () => {
    for (const release of waiting.splice(0)) release();
  };
  const server = createServer((incoming, outgoing) => {
    seen += 1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const forward = () => {
        const upstream = request(
          `${target}${incoming.url ?? '/'}`,
          { method: incoming.method, headers: incoming.headers },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
            answer.on('end', () => {
              inFlight -= 1;
            });
          },
        );
        upstream.on('error', (error) => outgoing.destroy(error));
        upstream.end(Buffer.concat(chunks));
      };
      if (open) return forward();
      waiting.push(forward);
      if (releaseWhen({ held: waiting.length, seen })) releaseAll();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get held() {
      return waiting.length;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get inFlight() {
      return inFlight;
    },
    openFully() {
      open = true;
      releaseAll();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        open = true;
        releaseAll();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
