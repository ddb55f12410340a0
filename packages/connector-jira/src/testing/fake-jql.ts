// The small part of JQL the fake Jira understands: clauses joined by AND, then an optional ORDER BY. Anything
// else is answered the way Jira answers a query it cannot run: HTTP 400 with `errorMessages`.

export interface JqlClause {
  field: string;
  operator: string;
  value: string;
}

export interface JqlQuery {
  clauses: JqlClause[];
  orderBy: { field: string; descending: boolean } | null;
}

export type JqlParse = { ok: true; query: JqlQuery } | { ok: false; message: string };

/** What a clause is matched against; the fake's issues provide it. */
export interface JqlSubject {
  key: string;
  project: string;
  status: string;
  issueType: string;
  assignee: string | null;
  reporter: string | null;
  created: number;
  updated: number;
  summary: string;
  text: string;
}

const FIELDS = new Set([
  'project',
  'status',
  'issuetype',
  'type',
  'assignee',
  'reporter',
  'key',
  'issuekey',
  'summary',
  'text',
  'created',
  'updated',
]);
const ORDER_FIELDS = new Set(['created', 'updated', 'key']);
const CLAUSE =
  /\s*([A-Za-z]+)\s*(!=|>=|<=|=|>|<|~|is\s+not\b|is\b)\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.:+-]+(?:\(\))?)\s*/iy;
const ORDER_BY = /\s*\border\s+by\s+([A-Za-z]+)(?:\s+(asc|desc))?\s*$/i;

function unquote(value: string): string {
  if (value.startsWith('"')) return value.slice(1, -1).replace(/\\(.)/g, '$1');
  if (value.startsWith("'")) return value.slice(1, -1);
  return value;
}

/** Parses `jql`; an error carries Jira's wording for the same mistake. */
export function parseJql(jql: string): JqlParse {
  let where = jql;
  let orderBy: JqlQuery['orderBy'] = null;
  const order = ORDER_BY.exec(jql);
  if (order) {
    const field = (order[1] as string).toLowerCase();
    if (!ORDER_FIELDS.has(field)) {
      return {
        ok: false,
        message: `Field '${order[1]}' does not exist or you do not have permission to view it.`,
      };
    }
    orderBy = { field, descending: (order[2] ?? 'asc').toLowerCase() === 'desc' };
    where = jql.slice(0, order.index);
  }
  const clauses: JqlClause[] = [];
  CLAUSE.lastIndex = 0;
  while (where.trim() !== '') {
    CLAUSE.lastIndex = 0;
    const match = CLAUSE.exec(where);
    if (!match) {
      return {
        ok: false,
        message: `Error in the JQL Query: Expecting a field, an operator and a value but got '${where.trim().slice(0, 40)}'.`,
      };
    }
    const field = (match[1] as string).toLowerCase();
    if (!FIELDS.has(field)) {
      return {
        ok: false,
        message: `Field '${match[1]}' does not exist or you do not have permission to view it.`,
      };
    }
    clauses.push({
      field,
      operator: (match[2] as string).toLowerCase().replace(/\s+/g, ' '),
      value: unquote(match[3] as string),
    });
    const rest = where.slice(CLAUSE.lastIndex);
    if (rest.trim() === '') break;
    const joiner = /^\s*and\s+/i.exec(rest);
    if (!joiner) {
      return {
        ok: false,
        message: `Error in the JQL Query: Expecting 'AND' or the end of the query but got '${rest.trim().slice(0, 40)}'. (The fake understands AND only.)`,
      };
    }
    where = rest.slice(joiner[0].length);
  }
  return { ok: true, query: { clauses, orderBy } };
}

const RELATIVE = /^([-+]?)(\d+)([mhdw])$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `-30d`, `2025-01-31`, `"2025-01-31 09:15"`: the instant a date value names, or NaN. */
function instantOf(value: string, now: number): number {
  const relative = RELATIVE.exec(value);
  if (relative) {
    const amount = Number(relative[2]) * (UNIT_MS[relative[3] as string] as number);
    return relative[1] === '-' ? now - amount : now + amount;
  }
  return Date.parse(value.replace(' ', 'T'));
}

function compare(actual: number, operator: string, wanted: number): boolean {
  switch (operator) {
    case '>=':
      return actual >= wanted;
    case '<=':
      return actual <= wanted;
    case '>':
      return actual > wanted;
    case '<':
      return actual < wanted;
    case '=':
      return actual === wanted;
    default:
      return actual !== wanted;
  }
}

function matchesClause(subject: JqlSubject, clause: JqlClause, me: string, now: number): boolean {
  const { field, operator, value } = clause;
  const wanted = value.toLowerCase();
  const negate = operator === '!=' || operator === 'is not';
  const equals = (actual: string | null) => {
    const same = wanted === 'empty' || wanted === 'null' ? actual === null : actual?.toLowerCase() === wanted;
    return negate ? !same : same;
  };
  switch (field) {
    case 'project':
      return equals(subject.project);
    case 'status':
      return equals(subject.status);
    case 'issuetype':
    case 'type':
      return equals(subject.issueType);
    case 'key':
    case 'issuekey':
      return equals(subject.key);
    case 'assignee':
    case 'reporter': {
      const actual = field === 'assignee' ? subject.assignee : subject.reporter;
      if (wanted === 'currentuser()') return negate ? actual !== me : actual === me;
      return equals(actual);
    }
    case 'summary':
    case 'text': {
      const haystack = (field === 'summary' ? subject.summary : subject.text).toLowerCase();
      return haystack.includes(wanted) !== negate;
    }
    default:
      return compare(
        field === 'created' ? subject.created : subject.updated,
        operator,
        instantOf(value, now),
      );
  }
}

/** The subjects matching `query`, in its order (default: newest key first, as Jira's default `key DESC`). */
export function runJql<T>(
  query: JqlQuery,
  items: readonly T[],
  subjectOf: (item: T) => JqlSubject,
  currentAccountId: string,
  now: number = Date.now(),
): T[] {
  const matched = items.filter((item) =>
    query.clauses.every((clause) => matchesClause(subjectOf(item), clause, currentAccountId, now)),
  );
  const order = query.orderBy ?? { field: 'key', descending: true };
  const sortKey = (item: T): number => {
    const subject = subjectOf(item);
    if (order.field === 'created') return subject.created;
    if (order.field === 'updated') return subject.updated;
    return Number(subject.key.split('-')[1] ?? 0);
  };
  return matched.sort((a, b) => (order.descending ? sortKey(b) - sortKey(a) : sortKey(a) - sortKey(b)));
}
