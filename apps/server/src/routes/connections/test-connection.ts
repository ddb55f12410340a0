import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors.js';
import { actorOf } from '../../plugins/auth.js';
import { toAppError } from '../../plugins/error-handler.js';
import { BEARER_SECURITY, errorResponses } from '../../schemas/error-response.js';
import { recordAuditEvent } from '../../services/audit/audit-log.js';
import { getConnection } from '../../services/connections.js';
import { ConnectionIdParams, TestResultResponse } from './schemas.js';

/** `POST /api/connections/{id}/test`: runs the connector's check with the connection's credentials. */
export const testConnectionRoute: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/:id/test',
    {
      onRequest: app.authenticate,
      schema: {
        operationId: 'testConnection',
        tags: ['connections'],
        summary: 'Test a connection against the provider (identity and a small sample); records the outcome',
        description:
          'A failed test is an answer (`success: false` with the reason), not an error: for example ' +
          '"No credentials: connect the account first".',
        security: BEARER_SECURITY,
        params: ConnectionIdParams,
        response: { 200: TestResultResponse, ...errorResponses(400, 401, 404, 409, 500, 503) },
      },
    },
    async (request) => {
      const user = request.user!;
      const connection = await getConnection(app.db, user.id, request.params.id);
      if ((await app.connectors.resolve(connection.connector_key)) === null) {
        throw new AppError(
          'CFM_CONNECTOR_NOT_LOADED',
          `Connector "${connection.connector_key}" is not loaded`,
        );
      }
      const started = performance.now();
      const audit = (success: boolean, statusCode: number, detail: Record<string, unknown>) =>
        recordAuditEvent(app.db.db, {
          action: 'connection.test',
          outcome: success ? 'success' : 'failure',
          actor: actorOf(request),
          connectionId: connection.id,
          connectorKey: connection.connector_key,
          statusCode,
          durationMs: performance.now() - started,
          detail,
          requestId: request.id,
        });
      // The engine's tester shares the token manager (one in-flight refresh per connection) with the flow;
      // its ServiceErrors are mapped by the error handler.
      let result: Awaited<ReturnType<typeof app.engine.connectionTester.testConnection>>;
      try {
        result = await app.engine.connectionTester.testConnection({
          connectionId: connection.id,
          userId: user.id,
        });
      } catch (error) {
        const mapped = toAppError(error);
        await audit(false, mapped.statusCode, { error_code: mapped.code });
        throw error;
      }
      await audit(result.success, 200, {});
      const identity = result.identity;
      return {
        success: result.success,
        message: result.message,
        identity: identity && {
          account_id: identity.accountId,
          display_name: identity.displayName ?? null,
          email: identity.email ?? null,
          workspace: identity.workspace ?? null,
          site: identity.site ?? null,
        },
        sample_data: result.sample_data,
      };
    },
  );
};
