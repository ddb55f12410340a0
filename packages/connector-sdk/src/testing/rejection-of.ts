import { ConnectorError } from '../errors.js';

/**
 * Resolves to what `promise` rejects with; rejects when it resolves, so a call that should fail and does
 * not fails the test.
 *
 * @example
 * ```ts
 * const error = await rejectionOf(oauth.refresh({ credentials }));
 * expect(error).toMatchObject({ reason: 'auth', providerCode: 'invalid_grant' });
 * ```
 */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but the call succeeded');
    },
    (error: unknown) => error,
  );
}

/**
 * Like {@link rejectionOf}, for calls that must fail with a `ConnectorError`: any other rejection is
 * rethrown as it is, so the test fails on it.
 *
 * @example
 * ```ts
 * const error = await connectorErrorOf(connector.check(context));
 * expect(error.reason).toBe('rate_limited');
 * ```
 */
export async function connectorErrorOf(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await rejectionOf(promise);
  if (!ConnectorError.is(error)) throw error;
  return error;
}
