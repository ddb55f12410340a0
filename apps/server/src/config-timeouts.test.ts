import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import { testConfig } from './test/helpers.js';

describe('slow-client and shutdown timeouts', () => {
  it('default to 60 s per request, 15 s for headers and 10 s to shut down', () => {
    expect(testConfig().timeouts).toEqual({ requestMs: 60_000, headersMs: 15_000, shutdownMs: 10_000 });
  });

  it('are read in seconds', () => {
    const config = testConfig({
      REQUEST_TIMEOUT_SECONDS: '5',
      HEADERS_TIMEOUT_SECONDS: '2',
      SHUTDOWN_TIMEOUT_SECONDS: '3',
    });
    expect(config.timeouts).toEqual({ requestMs: 5000, headersMs: 2000, shutdownMs: 3000 });
  });

  it.each([
    [{ REQUEST_TIMEOUT_SECONDS: '0' }, 'REQUEST_TIMEOUT_SECONDS must be a positive whole number of seconds'],
    [
      { SHUTDOWN_TIMEOUT_SECONDS: '1.5' },
      'SHUTDOWN_TIMEOUT_SECONDS must be a positive whole number of seconds',
    ],
    [
      { REQUEST_TIMEOUT_SECONDS: '5', HEADERS_TIMEOUT_SECONDS: '6' },
      'HEADERS_TIMEOUT_SECONDS must not be longer than REQUEST_TIMEOUT_SECONDS',
    ],
  ])('refuses %o', (env, message) => {
    expect(() => testConfig(env)).toThrow(new ConfigError(message));
  });
});
