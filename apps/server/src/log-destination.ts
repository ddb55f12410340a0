import type { DestinationStream } from 'pino';

/** Log bytes held in memory while stdout's reader is not reading; lines beyond are dropped. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * The server's log destination: stdout, written so that logging can never stop the process.
 * pino's default destination writes synchronously, and on a pipe whose reader stopped reading it
 * retries forever with the event loop blocked, so not even SIGTERM is handled. `process.stdout` on a
 * pipe writes asynchronously instead; while the reader lags, at most {@link MAX_BUFFERED_BYTES} wait and
 * newer lines are dropped; once the reader is gone (EPIPE), logging stops and the server goes on.
 *
 * @example
 * const app = await buildApp(config, { logStream: createStdoutDestination() });
 */
export function createStdoutDestination(
  stdout: NodeJS.WriteStream = process.stdout,
  maxBufferedBytes = MAX_BUFFERED_BYTES,
): DestinationStream {
  let closed = false;
  // Without a listener, EPIPE on stdout is an uncaught exception.
  stdout.on('error', () => {
    closed = true;
  });
  return {
    write(line: string) {
      if (closed || stdout.writableLength > maxBufferedBytes) return;
      stdout.write(line);
    },
  };
}
