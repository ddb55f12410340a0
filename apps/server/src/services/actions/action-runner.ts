import {
  type ActionDefinition,
  type ConnectorDefinition,
  ConnectorError,
  type Credentials,
  createActionContext,
} from '@cfm/connector-sdk';
import {
  apiBaseUrlOf,
  type ConnectionCaller,
  connectorFailure,
  freshCredentialsOf,
  loadUsableConnection,
  type UsableConnection,
} from '../connection-use/usable-connection.js';
import { clockOf, describeError, type EngineContext, sdkOptionsOf, silentLogger } from '../engine-context.js';
import { ServiceError } from '../service-error.js';
import type { TokenManager } from '../token-manager.js';
import { outputMatches, validateActionInput } from './action-input.js';

/** An action as the API lists it. */
export interface ActionView {
  name: string;
  description: string;
  read_only: boolean;
  input_schema: Record<string, unknown>;
  output_schema: Record<string, unknown>;
}

/** The actions a connector declares, sorted by name, with their JSON Schemas. */
export function actionViews(definition: ConnectorDefinition): ActionView[] {
  return Object.entries(definition.actions ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, action]) => ({
      name,
      description: action.description,
      read_only: action.readOnly,
      input_schema: action.input as unknown as Record<string, unknown>,
      output_schema: action.output as unknown as Record<string, unknown>,
    }));
}

export interface RunActionInput {
  caller: ConnectionCaller;
  connectionId: string;
  actionName: string;
  input: unknown;
  signal?: AbortSignal;
}

export interface ActionResult {
  data: unknown;
  connectorKey: string;
  action: ActionDefinition;
}

export interface ActionRunnerOptions {
  /** Per provider request made by an action. Default 30 s. */
  timeoutMs?: number;
  /** A provider's `Retry-After` up to this is waited for inside the action; longer ones fail with 429. */
  retryWaitCapMs?: number;
}

/**
 * Runs a connector's typed actions on a connection: input checked against the action's schema (every bad
 * field named), the connection's fresh credentials, `ctx.api` bound to the provider API, and the same
 * handling as the proxy: a provider 401 costs one refresh and one retry (a rejected request changed
 * nothing, so a retry is safe for writes too); a second refusal marks the connection `expired`.
 */
export class ActionRunner {
  readonly #context: EngineContext;
  readonly #tokens: TokenManager;
  readonly #options: Required<ActionRunnerOptions>;

  constructor(context: EngineContext, tokens: TokenManager, options: ActionRunnerOptions = {}) {
    this.#context = context;
    this.#tokens = tokens;
    this.#options = {
      timeoutMs: options.timeoutMs ?? 30_000,
      retryWaitCapMs: options.retryWaitCapMs ?? 10_000,
    };
  }

  /** The connection (as the caller may see it) and the action, with the input checked. No provider call. */
  async prepare(
    request: RunActionInput,
  ): Promise<{ usable: UsableConnection; action: ActionDefinition; input: Record<string, unknown> }> {
    const usable = await loadUsableConnection(this.#context, request.caller, request.connectionId);
    const action = usable.connector.definition.actions?.[request.actionName];
    if (
      action === undefined ||
      !Object.hasOwn(usable.connector.definition.actions ?? {}, request.actionName)
    ) {
      throw new ServiceError(
        'CFM_ACTION_NOT_FOUND',
        `Connector "${usable.connector.key}" has no action "${request.actionName}"`,
      );
    }
    const checked = validateActionInput(action.input, request.input);
    if (!checked.ok) {
      throw new ServiceError(
        'CFM_VALIDATION',
        checked.details.map((detail) => `${detail.field} ${detail.message}`).join(', '),
        { details: checked.details },
      );
    }
    return { usable, action, input: checked.value };
  }

  async run(request: RunActionInput): Promise<ActionResult> {
    const { usable, action, input } = await this.prepare(request);
    let credentials = await freshCredentialsOf(this.#tokens, request.connectionId);
    try {
      return await this.#attempt(usable, action, input, credentials, request.signal);
    } catch (error) {
      if (!(ConnectorError.is(error) && error.reason === 'auth' && credentials.type === 'oauth2')) {
        throw connectorFailure(error);
      }
    }
    // The access token may have been revoked or expired early: refresh once (shared) and retry once.
    credentials = await freshCredentialsOf(
      this.#tokens,
      request.connectionId,
      credentials.type === 'oauth2' ? credentials.accessToken : undefined,
    );
    try {
      return await this.#attempt(usable, action, input, credentials, request.signal);
    } catch (error) {
      if (ConnectorError.is(error) && error.reason === 'auth') {
        await this.#markExpired(usable, error);
        throw new ServiceError(
          'CFM_CONNECTION_EXPIRED',
          `${usable.connector.definition.name} connection expired: the provider refused a fresh token, the user must reconnect`,
          { cause: error },
        );
      }
      throw connectorFailure(error);
    }
  }

  async #attempt(
    usable: UsableConnection,
    action: ActionDefinition,
    input: Record<string, unknown>,
    credentials: Credentials,
    signal: AbortSignal | undefined,
  ): Promise<ActionResult> {
    // Resolved before the context is built: a base URL needing a fact from `check` learns it first.
    await apiBaseUrlOf(this.#context, usable, credentials);
    const context = createActionContext(usable.connector.definition, {
      config: usable.connection.config,
      credentials,
      metadata: usable.connection.metadata,
      timeoutMs: this.#options.timeoutMs,
      maxRetryDelayMs: this.#options.retryWaitCapMs,
      ...sdkOptionsOf(this.#context),
      ...(signal !== undefined && { signal }),
    });
    const data = await action.run(context, input);
    if (!outputMatches(action.output, data)) {
      // The connector's bug, not the caller's: answer what it returned, and say so to the operator.
      (this.#context.logger ?? silentLogger).warn('action output does not match its schema', {
        connector: usable.connector.key,
      });
    }
    return { data, connectorKey: usable.connector.key, action };
  }

  async #markExpired(usable: UsableConnection, error: unknown): Promise<void> {
    const now = clockOf(this.#context)();
    try {
      await this.#context.database.db
        .updateTable('connections')
        .set({
          status: 'expired',
          status_reason: 'Reconnect needed: the provider rejected a freshly refreshed access token',
          updated_at: now,
        })
        .where('id', '=', usable.connection.id)
        .execute();
    } catch (writeError) {
      (this.#context.logger ?? silentLogger).error('could not mark the connection expired', {
        error: describeError(writeError),
        cause: describeError(error),
      });
    }
  }
}
