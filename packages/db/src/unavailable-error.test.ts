import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailableError } from './unavailable-error.js';

function withCode(code: string, message = 'failed'): Error {
  return Object.assign(new Error(message), { code });
}

describe('isDatabaseUnavailableError', () => {
  it.each([
    ['a refused socket', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a reset socket', withCode('ECONNRESET')],
    ['a timed-out socket', withCode('ETIMEDOUT')],
    ['an unknown host', withCode('ENOTFOUND')],
    ['SQLSTATE 08006 connection_failure', withCode('08006')],
    ['SQLSTATE 08P01 protocol_violation', withCode('08P01')],
    [
      'SQLSTATE 57P01 admin_shutdown',
      withCode('57P01', 'terminating connection due to administrator command'),
    ],
    ['SQLSTATE 57P02 crash_shutdown', withCode('57P02')],
    ['SQLSTATE 57P03 cannot_connect_now', withCode('57P03', 'the database system is starting up')],
    ['SQLSTATE 53300 too_many_connections', withCode('53300', 'sorry, too many clients already')],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout')],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a broken client', new Error('Client has encountered a connection error and is not queryable')],
    ['a closed pool', new Error('Cannot use a pool after calling end on the pool')],
    ['SQLite busy beyond its timeout', withCode('SQLITE_BUSY', 'database is locked')],
    [
      'a refused localhost (both addresses)',
      Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''), {
        code: undefined,
      }),
    ],
    ['one wrapped as a cause', new Error('query failed', { cause: withCode('ECONNRESET') })],
  ])('recognises %s', (_name, error) => {
    expect(isDatabaseUnavailableError(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('23505', 'duplicate key value violates unique constraint')],
    ['a syntax error', withCode('42601')],
    ['a numeric overflow', withCode('22003')],
    ['an invalid text encoding', withCode('22P05', 'unsupported Unicode escape sequence')],
    ['SQLite constraint', withCode('SQLITE_CONSTRAINT_UNIQUE')],
    ['a plain error', new Error('boom')],
    ['a coded error quoting a lost connection', withCode('42000', 'Connection terminated unexpectedly')],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('does not take %s for an unavailable database', (_name, error) => {
    expect(isDatabaseUnavailableError(error)).toBe(false);
  });

  it('stops on a cycle of causes', () => {
    const error = new Error('a') as Error & { cause?: unknown };
    error.cause = error;
    expect(isDatabaseUnavailableError(error)).toBe(false);
  });
});
