import { ConnectorError } from '@cfm/connector-sdk';

/** The `ConnectorError` a promise rejects with; anything else (or a success) fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (caught: unknown) => caught,
  );
  if (!ConnectorError.is(error)) throw error;
  return error;
}
