import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BEARER_SECURITY, errorResponses } from '../../schemas/error-response.js';
import { MCP_PROTOCOL_VERSION } from '../../services/mcp/mcp-tool-server.js';
import { ApiInfo, Me } from './schemas.js';

export interface MetaRoutesOptions {
  name: string;
  version: string;
}

/** `GET /api` (what this server is) and `GET /api/me` (who is calling). Registered under `/api`. */
export const metaRoutes: FastifyPluginAsyncTypebox<MetaRoutesOptions> = async (app, options) => {
  app.get(
    '/',
    {
      schema: {
        operationId: 'getApiInfo',
        tags: ['meta'],
        summary: 'The API name and version, and where agents connect (MCP)',
        response: { 200: ApiInfo, ...errorResponses(429, 500) },
      },
    },
    async () => ({
      name: options.name,
      version: options.version,
      mcp: { url: `${app.config.backendBaseUrl}/mcp`, protocol_version: MCP_PROTOCOL_VERSION },
    }),
  );

  app.get(
    '/me',
    {
      onRequest: app.authenticate,
      schema: {
        operationId: 'getCurrentUser',
        tags: ['meta'],
        summary: 'The authenticated user (created on first request from the token claims)',
        security: BEARER_SECURITY,
        response: { 200: Me, ...errorResponses(401, 409, 500, 503) },
      },
    },
    async (request) => {
      const user = request.user!;
      return { id: user.id, email: user.email, role: user.role };
    },
  );
};
