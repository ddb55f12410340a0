import { PassThrough, type Readable } from 'node:stream';
import { ServiceError } from '../service-error.js';

/** No body; a body held in memory (small: it can be sent again); or a body streamed once. */
export type ProxyBody =
  | { kind: 'none' }
  | { kind: 'buffer'; data: Buffer }
  | { kind: 'stream'; stream: Readable };

/** Raised inside the outgoing stream when a body without `content-length` passes the limit. */
export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`The request body is larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

function declaredLength(headers: Record<string, string | string[] | undefined>): number | undefined {
  const value = headers['content-length'];
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Reads the start of a request body: a body declared (or found) to be at most `replayableBodyBytes` is
 * held whole, so it can be sent again after a token refresh or a short rate limit; a larger one is
 * streamed, counting bytes, and fails with {@link BodyTooLargeError} past `bodyLimitBytes`. A declared
 * length over the limit is refused before anything is read or sent.
 */
export async function prepareProxyBody(
  stream: Readable | undefined,
  headers: Record<string, string | string[] | undefined>,
  limits: { bodyLimitBytes: number; replayableBodyBytes: number },
): Promise<ProxyBody> {
  if (stream === undefined) return { kind: 'none' };
  const length = declaredLength(headers);
  if (length !== undefined && length > limits.bodyLimitBytes) {
    stream.resume();
    throw new ServiceError(
      'CFM_PAYLOAD_TOO_LARGE',
      `The request body is larger than ${limits.bodyLimitBytes} bytes`,
    );
  }
  if (length === 0) return { kind: 'none' };
  const held: Buffer[] = [];
  let size = 0;
  const iterator = stream[Symbol.asyncIterator]();
  while (true) {
    const next = await iterator.next();
    if (next.done === true) {
      return size === 0 ? { kind: 'none' } : { kind: 'buffer', data: Buffer.concat(held, size) };
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string);
    held.push(chunk);
    size += chunk.length;
    if (size > limits.bodyLimitBytes) {
      throw new ServiceError(
        'CFM_PAYLOAD_TOO_LARGE',
        `The request body is larger than ${limits.bodyLimitBytes} bytes`,
      );
    }
    if (size > limits.replayableBodyBytes) break;
  }
  // Too big to hold: send what was read, then the rest as it comes, still counting.
  const outgoing = new PassThrough();
  void (async () => {
    try {
      for (const chunk of held) outgoing.write(chunk);
      while (true) {
        const next = await iterator.next();
        if (next.done === true) break;
        const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string);
        size += chunk.length;
        if (size > limits.bodyLimitBytes) throw new BodyTooLargeError(limits.bodyLimitBytes);
        if (!outgoing.write(chunk)) await new Promise((resolve) => outgoing.once('drain', resolve));
      }
      outgoing.end();
    } catch (error) {
      outgoing.destroy(error as Error);
    }
  })();
  return { kind: 'stream', stream: outgoing };
}
