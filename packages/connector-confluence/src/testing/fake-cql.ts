// The small part of CQL the fake Confluence understands: clauses joined by AND (`type`, `space`,
// `space.key`, `title`, `text`, `id` with `=`, `!=`, `~`), then an optional ORDER BY lastmodified, created
// or title. Anything else is answered as Confluence answers a query it cannot parse.

export interface CqlClause {
  field: string;
  operator: '=' | '!=' | '~' | '!~';
  value: string;
}

export interface CqlQuery {
  clauses: CqlClause[];
  orderBy: { field: 'lastmodified' | 'created' | 'title'; descending: boolean } | null;
}

/** What a clause is matched against. */
export interface CqlSubject {
  id: string;
  type: string;
  spaceKey: string;
  title: string;
  text: string;
  lastModified: number;
  created: number;
}

const FIELDS = new Set(['type', 'space', 'space.key', 'title', 'text', 'id']);
const CLAUSE = /\s*([A-Za-z.]+)\s*(!=|!~|=|~)\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.:-]+)\s*/y;
const ORDER_BY = /\s*\border\s+by\s+(lastmodified|created|title)(?:\s+(asc|desc))?\s*$/i;

function unquote(value: string): string {
  if (value.startsWith('"')) return value.slice(1, -1).replace(/\\(.)/g, '$1');
  if (value.startsWith("'")) return value.slice(1, -1);
  return value;
}

/** The parsed query, or null when Confluence would answer "Could not parse cql". */
export function parseCql(cql: string): CqlQuery | null {
  let where = cql;
  let orderBy: CqlQuery['orderBy'] = null;
  const order = ORDER_BY.exec(cql);
  if (order) {
    const field = (order[1] as string).toLowerCase() as 'lastmodified' | 'created' | 'title';
    orderBy = { field, descending: (order[2] ?? 'asc').toLowerCase() === 'desc' };
    where = cql.slice(0, order.index);
  }
  const clauses: CqlClause[] = [];
  while (where.trim() !== '') {
    CLAUSE.lastIndex = 0;
    const match = CLAUSE.exec(where);
    const field = match?.[1]?.toLowerCase();
    if (!match || field === undefined || !FIELDS.has(field)) return null;
    clauses.push({ field, operator: match[2] as CqlClause['operator'], value: unquote(match[3] as string) });
    const rest = where.slice(CLAUSE.lastIndex);
    if (rest.trim() === '') break;
    const joiner = /^\s*and\s+/i.exec(rest);
    if (!joiner) return null;
    where = rest.slice(joiner[0].length);
  }
  // Confluence refuses a query without any clause ("order by" alone is not a query).
  return clauses.length === 0 ? null : { clauses, orderBy };
}

function matches(subject: CqlSubject, clause: CqlClause): boolean {
  const wanted = clause.value.toLowerCase();
  const negate = clause.operator.startsWith('!');
  let hit: boolean;
  if (clause.operator === '~' || clause.operator === '!~') {
    const haystack = clause.field === 'title' ? subject.title : `${subject.title}\n${subject.text}`;
    hit = haystack.toLowerCase().includes(wanted);
  } else {
    const actual =
      clause.field === 'type'
        ? subject.type
        : clause.field === 'id'
          ? subject.id
          : clause.field === 'title'
            ? subject.title
            : subject.spaceKey;
    hit = actual.toLowerCase() === wanted;
  }
  return hit !== negate;
}

/** The items matching `query`, in its order (default: last modified first). */
export function runCql<T>(query: CqlQuery, items: readonly T[], subjectOf: (item: T) => CqlSubject): T[] {
  const matched = items.filter((item) => query.clauses.every((clause) => matches(subjectOf(item), clause)));
  const order = query.orderBy ?? { field: 'lastmodified', descending: true };
  const direction = order.descending ? -1 : 1;
  return matched.sort((a, b) => {
    const left = subjectOf(a);
    const right = subjectOf(b);
    if (order.field === 'title') return direction * left.title.localeCompare(right.title);
    const key = order.field === 'created' ? 'created' : 'lastModified';
    return direction * (left[key] - right[key]);
  });
}
