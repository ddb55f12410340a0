import { ConfigError } from '../config.js';

/** Prints one line to stderr and exits 1: how every command refuses, with no stack trace. */
export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** For a command's top-level catch: a clear line for known errors, the full error for bugs. */
export function failOn(error: unknown): never {
  if (error instanceof ConfigError) {
    fail(`Configuration error: ${error.message}`);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
