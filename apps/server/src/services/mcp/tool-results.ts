import type { ConnectionStatus } from '@cfm/db';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ServiceError } from '../service-error.js';

/** A successful action as a tool result: the data as structured content, and the same as JSON text. */
export function successResult(data: unknown, wrapsOutput: boolean): CallToolResult {
  const structured = (wrapsOutput ? { result: data } : data) as Record<string, unknown>;
  return {
    content: [{ type: 'text', text: JSON.stringify(data) }],
    structuredContent: structured,
  };
}

/** A failure a model can act on: `isError: true` and one sentence that says what to do next. */
export function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** A service message inside a sentence of ours: without its own final full stop. */
function clause(message: string): string {
  return message.replace(/[.\s]+$/, '');
}

function seconds(milliseconds: number | undefined): string {
  return milliseconds === undefined ? 'a minute' : `${Math.max(1, Math.ceil(milliseconds / 1000))} s`;
}

/** `body/limit` (the REST route's field names) as the tool's argument path: `limit`. */
function argumentPath(field: string): string {
  const path = field.replace(/^body\/?/, '').replaceAll('/', '.');
  return path === '' ? 'arguments' : path;
}

/**
 * A failed action as the text a model reads. Built from the error's code and its safe message (service
 * messages never hold a token, a secret or a stack); anything unexpected is one generic sentence.
 *
 * @example
 * toolFailureMessage('Slack', rateLimited) // 'Slack rate limit: retry after 30 s.'
 */
export function toolFailureMessage(connectorName: string, error: unknown): string {
  if (!ServiceError.is(error)) {
    return `The ${connectorName} tool failed with an internal error; retrying may not help.`;
  }
  switch (error.code) {
    case 'CFM_VALIDATION': {
      const problems = (error.details ?? []).map(
        (detail) => `${argumentPath(detail.field)} ${detail.message}`,
      );
      return `Invalid arguments: ${problems.join('; ') || error.message}. Fix them and call the tool again.`;
    }
    case 'CFM_PROVIDER_RATE_LIMITED':
      return `${connectorName} rate limit: retry after ${seconds(error.retryAfterMs)}.`;
    case 'CFM_CONNECTION_EXPIRED':
      return `${connectorName} connection expired: the user must reconnect ${connectorName} before its tools work again.`;
    case 'CFM_CONNECTION_NOT_READY':
      return `${connectorName} connection cannot be used: ${clause(error.message)}. The user must reconnect ${connectorName}.`;
    case 'CFM_CONNECTION_NOT_FOUND':
      return `${connectorName} connection no longer exists: list the tools again.`;
    case 'CFM_CONNECTOR_DISABLED':
    case 'CFM_CONNECTOR_NOT_LOADED':
      return `${connectorName} is not available on this server right now: an operator must enable it.`;
    case 'CFM_TOKEN_REFRESH_FAILED':
      return `${connectorName} did not renew the access token just now: retry after ${seconds(error.retryAfterMs)}.`;
    case 'CFM_PROVIDER_TIMEOUT':
      return `${connectorName} did not answer in time: retry later, perhaps asking for less (a smaller limit).`;
    case 'CFM_PROVIDER_UNREACHABLE':
      return `${connectorName} could not be reached: retry later.`;
    case 'CFM_PROVIDER_FORBIDDEN':
      return `${connectorName} refused: the connected account lacks a permission (${clause(error.message)}). Tell the user: they must grant it, for instance by reconnecting ${connectorName}.`;
    case 'CFM_ACTION_INVALID':
      return `${connectorName} refused the arguments: ${clause(error.message)}. Fix them and call the tool again.`;
    case 'CFM_PROVIDER_ERROR':
      return `${connectorName} failed the request: ${clause(error.message)}.`;
    default:
      return `The ${connectorName} tool failed: ${clause(error.message)} (${error.code}).`;
  }
}

/** Why a tool listed earlier cannot be used now (its connection is not active any more). */
export function unusableMessage(connectorName: string, status: ConnectionStatus): string {
  switch (status) {
    case 'expired':
      return `${connectorName} connection expired: the user must reconnect ${connectorName} before its tools work again.`;
    case 'revoked':
      return `${connectorName} was disconnected by the user: they must connect ${connectorName} again to use its tools.`;
    default:
      return `${connectorName} connection is ${status}, not usable: the user must (re)connect ${connectorName}.`;
  }
}
