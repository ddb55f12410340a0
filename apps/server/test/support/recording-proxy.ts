import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingProxy {
  readonly url: string;
  /** Raw request bodies seen (form or JSON text), in order. */
  readonly bodies: string[];
  close(): Promise<void>;
}

/**
 * A loopback pass-through in front of a fake provider that keeps every request body. The fakes redact
 * `code_verifier` in their own request log; the secrets suite needs the verifiers the server really sent
 * so it can search for them.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const bodies: string[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.length > 0) bodies.push(body.toString('utf8'));
      const destination = new URL(incoming.url ?? '/', target);
      const forwarded = httpRequest(
        destination,
        { method: incoming.method, headers: { ...incoming.headers, host: destination.host } },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', (error) => {
        outgoing.writeHead(502, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify({ error: 'recording_proxy_upstream', message: error.message }));
      });
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Every `code_verifier` value in the recorded form or JSON bodies. */
export function codeVerifiersIn(bodies: readonly string[]): string[] {
  const found = new Set<string>();
  for (const body of bodies) {
    let value: unknown;
    try {
      value = (JSON.parse(body) as Record<string, unknown>)['code_verifier'];
    } catch {
      value = new URLSearchParams(body).get('code_verifier');
    }
    if (typeof value === 'string' && value !== '') found.add(value);
  }
  return [...found];
}
