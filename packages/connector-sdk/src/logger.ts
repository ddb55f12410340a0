import type { Logger } from './types.js';

/** A logger that drops everything; the default when none is given. */
export const noopLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
