import { expect } from 'vitest';
import type { customConnectorBody } from '../../src/test/custom-connector-body.js';
import type { ApiClient } from './api-client.js';

/** Declares the connector as an admin and asserts 201 without the secret in the answer. */
export async function createCustomConnector(
  admin: ApiClient,
  body: ReturnType<typeof customConnectorBody>,
): Promise<Record<string, unknown>> {
  const response = await admin.post('/api/connectors/', body);
  expect(response.status, response.text.slice(0, 800)).toBe(201);
  expect(response.text).not.toContain(body.auth.client_secret);
  return response.body;
}
