import { type LoopbackProxy, startLoopbackProxy } from './loopback-proxy.js';

export interface RecordingProxy extends LoopbackProxy {
  /** Raw request bodies seen (form or JSON text), in order. */
  readonly bodies: string[];
}

/**
 * A loopback pass-through in front of a fake provider that keeps every request body. The fakes redact
 * `code_verifier` in their own request log; the secrets suite needs the verifiers the server really sent
 * so it can search for them.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const bodies: string[] = [];
  const proxy = await startLoopbackProxy('recording_proxy', ({ body }) => {
    if (body.length > 0) bodies.push(body.toString('utf8'));
    return target;
  });
  return { url: proxy.url, bodies, close: () => proxy.close() };
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
