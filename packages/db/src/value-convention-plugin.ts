import {
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type PrimitiveValueListNode,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  type ValueNode,
} from 'kysely';
import { BOOLEAN_COLUMNS, isTimestampColumn, JSON_COLUMNS } from './column-kinds.js';
import type { Dialect } from './parse-database-url.js';

/**
 * Makes values look the same on both dialects (see docs/architecture.md): callers write and read `Date`,
 * `boolean` and plain objects/arrays.
 *
 * - Both dialects: plain objects and arrays in parameters become JSON text. `pg` would otherwise send a
 *   JS array as a PostgreSQL array literal, which a `jsonb` column rejects. A consequence: an array
 *   parameter in a raw `sql` template is JSON too, so use `where(column, 'in', values)` for lists.
 * - SQLite also: `Date` becomes ISO-8601 text (same format as the column defaults, so text comparison
 *   orders correctly) and `boolean` becomes 0/1; results are converted back by column name
 *   ({@link JSON_COLUMNS}, {@link BOOLEAN_COLUMNS}, names ending in `_at`).
 */
export class ValueConventionPlugin implements KyselyPlugin {
  readonly #transformer: ParameterTransformer;
  readonly #convertResults: boolean;

  constructor(dialect: Dialect) {
    this.#transformer = new ParameterTransformer(dialect);
    this.#convertResults = dialect === 'sqlite';
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node, args.queryId);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (!this.#convertResults || args.result.rows.length === 0) {
      return args.result;
    }
    for (const row of args.result.rows) {
      convertSqliteRow(row);
    }
    return args.result;
  }
}

class ParameterTransformer extends OperationNodeTransformer {
  readonly #dialect: Dialect;

  constructor(dialect: Dialect) {
    super();
    this.#dialect = dialect;
  }

  protected override transformValue(node: ValueNode): ValueNode {
    const value = this.#convert(node.value);
    return value === node.value ? node : { ...node, value };
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    const values = node.values.map((value) => this.#convert(value));
    return values.every((value, index) => value === node.values[index]) ? node : { ...node, values };
  }

  #convert(value: unknown): unknown {
    if (Array.isArray(value) || isPlainObject(value)) {
      return JSON.stringify(value);
    }
    if (this.#dialect === 'sqlite') {
      if (value instanceof Date) {
        return value.toISOString();
      }
      if (typeof value === 'boolean') {
        return value ? 1 : 0;
      }
    }
    return value;
  }
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** In place: better-sqlite3 builds a new object per row and nothing else holds it yet. */
function convertSqliteRow(row: UnknownRow): void {
  for (const column in row) {
    row[column] = convertSqliteValue(column, row[column]);
  }
}

function convertSqliteValue(column: string, value: unknown): unknown {
  if (typeof value === 'string') {
    if (JSON_COLUMNS.has(column)) {
      return JSON.parse(value);
    }
    if (isTimestampColumn(column)) {
      const date = new Date(value);
      return Number.isNaN(date.getTime()) ? value : date;
    }
    return value;
  }
  if (typeof value === 'number' && BOOLEAN_COLUMNS.has(column)) {
    return value !== 0;
  }
  return value;
}
