import type { HttpResponse } from '@cfm/connector-sdk';
import { ConnectorError, defineAction, Type } from '@cfm/connector-sdk';

const FILE_KEY = Type.String({
  pattern: '^[0-9A-Za-z]{1,128}$',
  description: 'The key in a file URL: figma.com/design/<file_key>/…',
});

interface FigmaNode {
  id: string;
  name?: string;
  type?: string;
  children?: FigmaNode[];
}

interface FigmaFile {
  name?: string;
  lastModified?: string;
  version?: string;
  document?: FigmaNode;
}

interface FigmaComment {
  id: string;
  message?: string;
  user?: { id?: string; handle?: string };
  created_at?: string;
  resolved_at?: string | null;
}

/**
 * Runs an action's Figma call and maps Figma's `{status, err}` refusals: 401, and a 403 about the token
 * (`Invalid token`), mean reconnect (`auth`); another 403 is `permission`; 400 and 404 (`Not found`: the
 * key names no file this account can open) are the caller's input (`config`).
 */
async function figmaAction<T>(operation: string, call: () => Promise<HttpResponse<T>>): Promise<T> {
  try {
    return (await call()).body;
  } catch (error) {
    if (!ConnectorError.is(error) || error.status === undefined) throw error;
    const tokenRefused =
      error.status === 401 || (error.status === 403 && /token/i.test(error.providerCode ?? ''));
    const reason = tokenRefused
      ? 'auth'
      : error.status === 400 || error.status === 404
        ? 'config'
        : undefined;
    if (reason === undefined) throw error;
    throw new ConnectorError(`Figma ${operation} answered HTTP ${error.status}`, {
      reason,
      status: error.status,
      ...(error.providerCode !== undefined && { providerCode: error.providerCode }),
      cause: error,
    });
  }
}

function fileKeyPath(fileKey: string): string {
  return `/v1/files/${encodeURIComponent(fileKey)}`;
}

/** `GET /v1/files/{key}?depth=`: a file's name, version and pages (and each page's top-level nodes). */
export const getFile = defineAction({
  description:
    "Read a Figma file's name, version, last change and pages. With depth 2, each page also lists its " +
    'top-level nodes (frames, sections…).',
  input: Type.Object(
    {
      file_key: FILE_KEY,
      depth: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 2,
          description: '1: pages only (default); 2: pages and their top-level nodes',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  output: Type.Object({
    name: Type.String(),
    last_modified: Type.String({ description: 'ISO-8601 instant' }),
    version: Type.String(),
    pages: Type.Array(
      Type.Object({
        id: Type.String(),
        name: Type.String(),
        children: Type.Optional(
          Type.Array(Type.Object({ id: Type.String(), name: Type.String(), type: Type.String() }), {
            description: 'With depth 2: the nodes at the top of the page',
          }),
        ),
      }),
    ),
  }),
  async run(ctx, input) {
    const depth = input.depth ?? 1;
    // Always bounded: without `depth` Figma returns the whole node tree, which can be megabytes.
    const file = await figmaAction('GET /v1/files/{file_key}', () =>
      ctx.api.get<FigmaFile>(fileKeyPath(input.file_key), { query: { depth } }),
    );
    const pages = file.document?.children;
    if (typeof file.name !== 'string' || !Array.isArray(pages)) {
      throw new ConnectorError('Figma answered a file without a name or pages', { reason: 'provider' });
    }
    return {
      name: file.name,
      last_modified: file.lastModified ?? '',
      version: file.version ?? '',
      pages: pages.map((page) => ({
        id: page.id,
        name: page.name ?? '',
        ...(depth >= 2 && {
          children: (page.children ?? []).map((node) => ({
            id: node.id,
            name: node.name ?? '',
            type: node.type ?? '',
          })),
        }),
      })),
    };
  },
});

// The cursor is ours, not Figma's: base64url of `offset:<n>`.
function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1]) {
    throw new ConnectorError('list_comments: the cursor is not one this action returned', {
      reason: 'config',
    });
  }
  return Number(match[1]);
}

/** `GET /v1/files/{key}/comments`: a file's comments, paged here (see below). */
export const listComments = defineAction({
  description:
    'List the comments on a Figma file (replies included), a page at a time. Pass next_cursor back as cursor ' +
    'for the next page; it is absent on the last one. Needs the file_comments:read scope.',
  input: Type.Object(
    {
      file_key: FILE_KEY,
      limit: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 100, description: 'Comments per page (default 50)' }),
      ),
      cursor: Type.Optional(Type.String({ minLength: 1, description: 'next_cursor of the previous page' })),
    },
    { additionalProperties: false },
  ),
  output: Type.Object({
    comments: Type.Array(
      Type.Object({
        id: Type.String(),
        message: Type.String(),
        user: Type.Object({ id: Type.String(), handle: Type.String() }),
        created_at: Type.String({ description: 'ISO-8601 instant' }),
        resolved_at: Type.Union([Type.String(), Type.Null()], { description: 'null while unresolved' }),
      }),
    ),
    next_cursor: Type.Optional(Type.String({ description: 'Present when there are more comments' })),
  }),
  async run(ctx, input) {
    const limit = input.limit ?? 50;
    const offset = input.cursor === undefined ? 0 : decodeCursor(input.cursor);
    // Figma's comments endpoint has no pagination: it answers every comment of the file at once. This
    // action pages that list itself with an opaque offset cursor, so each page re-reads the whole list and
    // a comment added or deleted between two calls can shift a page by one.
    const body = await figmaAction('GET /v1/files/{file_key}/comments', () =>
      ctx.api.get<{ comments?: FigmaComment[] }>(`${fileKeyPath(input.file_key)}/comments`),
    );
    if (!Array.isArray(body.comments)) {
      throw new ConnectorError('Figma answered comments without a list', { reason: 'provider' });
    }
    const comments = body.comments.slice(offset, offset + limit).map((comment) => ({
      id: comment.id,
      message: comment.message ?? '',
      user: { id: comment.user?.id ?? '', handle: comment.user?.handle ?? '' },
      created_at: comment.created_at ?? '',
      resolved_at: comment.resolved_at ?? null,
    }));
    const next = offset + limit;
    return { comments, ...(next < body.comments.length && { next_cursor: encodeCursor(next) }) };
  },
});
