import type { TObject, TSchema } from 'typebox';
import { isRecord } from './is-record.js';
import type { ActionDefinition, ActionSpec } from './types.js';

export const ACTION_DEFINITION_BRAND = Symbol.for('cfm.action-definition');

/** Action names: snake_case, as tools and routes use them (`search_issues`). */
export const ACTION_NAME_PATTERN = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** True for an action made by `defineAction`, from this or any other copy of the SDK. */
export function isActionDefinition(value: unknown): value is ActionDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [ACTION_DEFINITION_BRAND]?: unknown })[ACTION_DEFINITION_BRAND] === true
  );
}

function isObjectSchema(value: unknown): boolean {
  return isRecord(value) && value['type'] === 'object' && isRecord(value['properties']);
}

/** Every problem with an action spec, as lines (empty when it is valid). `where` prefixes each line. */
export function actionSpecProblems(where: string, spec: unknown): string[] {
  if (!isRecord(spec)) return [`${where} must be an object built with defineAction`];
  const problems: string[] = [];
  if (typeof spec['description'] !== 'string' || spec['description'].trim() === '') {
    problems.push(`${where}.description must be a non-empty string`);
  }
  if (spec['readOnly'] !== undefined && typeof spec['readOnly'] !== 'boolean') {
    problems.push(`${where}.readOnly must be a boolean when given`);
  }
  if (!isObjectSchema(spec['input'])) {
    problems.push(`${where}.input must be an object schema (Type.Object({...}))`);
  } else {
    for (const name of Object.keys((spec['input'] as { properties: object }).properties)) {
      if (!ACTION_NAME_PATTERN.test(name))
        problems.push(`${where}.input property "${name}" must be snake_case`);
    }
  }
  if (!isRecord(spec['output'])) problems.push(`${where}.output must be a schema`);
  if (typeof spec['run'] !== 'function') problems.push(`${where}.run must be a function`);
  return problems;
}

/**
 * Declares a typed operation of a connector: an input schema the platform validates before `run`, an output
 * schema it documents, and `run`, which calls the provider through `ctx.api` (bound to the connection's API
 * base URL and fresh credentials). Throw `ConnectorError` for failures: its reason becomes the HTTP status.
 *
 * @example
 * ```ts
 * const listChannels = defineAction({
 *   description: 'List the public channels of the workspace.',
 *   input: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }),
 *   output: Type.Object({ channels: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })) }),
 *   async run(ctx, input) {
 *     const response = await ctx.api.get<{ channels: { id: string; name: string }[] }>('conversations.list', {
 *       query: { limit: input.limit ?? 100 },
 *     });
 *     return { channels: response.body.channels };
 *   },
 * });
 * ```
 */
export function defineAction<
  TInput extends TObject,
  TOutput extends TSchema,
  TConfig = Record<string, unknown>,
>(spec: ActionSpec<TInput, TOutput, TConfig>): ActionDefinition<TInput, TOutput, TConfig> {
  const problems = actionSpecProblems('action', spec);
  if (problems.length > 0) throw new TypeError(`Invalid action definition:\n- ${problems.join('\n- ')}`);
  const definition = { ...spec, readOnly: spec.readOnly ?? true };
  Object.defineProperty(definition, ACTION_DEFINITION_BRAND, { value: true, enumerable: false });
  return Object.freeze(definition) as unknown as ActionDefinition<TInput, TOutput, TConfig>;
}
