import type { FakeResponse, FakeRouteHandler } from '@cfm/connector-sdk/testing/fakes';

/** A node under a page (a frame, a section…). */
export interface FakeFigmaNode {
  id: string;
  name: string;
  type: string;
}

export interface FakeFigmaComment {
  id: string;
  message: string;
  user: { id: string; handle: string; img_url: string };
  created_at: string;
  resolved_at: string | null;
  /** Empty for a top-level comment, the parent's id for a reply. */
  parent_id: string;
}

export interface FakeFigmaFile {
  name: string;
  lastModified: string;
  version: string;
  pages: { id: string; name: string; children: FakeFigmaNode[] }[];
  comments: FakeFigmaComment[];
}

/** Figma's API error body: `{status, err}`. */
export function figmaError(status: number, err: string): FakeResponse {
  return { status, body: { status, err } };
}

const AUTHOR = {
  id: '1234567890123456789',
  handle: 'Fake Designer',
  img_url: 'https://s3-alpha.figma.com/profile/fake',
};

/** The default file's key. */
export const FAKE_FIGMA_FILE_KEY = 'FaKeFiLeKey0123456789ab';

export const DEFAULT_FILES: Record<string, FakeFigmaFile> = {
  [FAKE_FIGMA_FILE_KEY]: {
    name: 'Design system',
    lastModified: '2025-02-14T16:20:00Z',
    version: '5820145678',
    pages: [
      {
        id: '0:1',
        name: 'Cover',
        children: [{ id: '1:2', name: 'Cover frame', type: 'FRAME' }],
      },
      {
        id: '0:2',
        name: 'Components',
        children: [
          { id: '2:10', name: 'Buttons', type: 'SECTION' },
          { id: '2:11', name: 'Inputs', type: 'FRAME' },
        ],
      },
    ],
    comments: Array.from({ length: 5 }, (_unused, index) => ({
      id: String(900_001 + index),
      message: `Comment ${index + 1}`,
      user: AUTHOR,
      created_at: `2025-02-1${index}T09:00:00Z`,
      resolved_at: index === 0 ? '2025-02-15T09:00:00Z' : null,
      parent_id: index === 2 ? '900002' : '',
    })),
  },
};

/** The document tree cut as Figma's `?depth=` cuts it: 1 = pages without children, none = everything. */
function documentOf(file: FakeFigmaFile, depth: number | undefined) {
  const withChildren = depth === undefined || depth >= 2;
  return {
    id: '0:0',
    name: 'Document',
    type: 'DOCUMENT',
    scrollBehavior: 'SCROLLS',
    children: file.pages.map((page) => ({
      id: page.id,
      name: page.name,
      type: 'CANVAS',
      scrollBehavior: 'SCROLLS',
      backgroundColor: { r: 0.96, g: 0.96, b: 0.96, a: 1 },
      prototypeStartNodeID: null,
      flowStartingPoints: [],
      ...(withChildren && {
        children: page.children.map((node) => ({ ...node, scrollBehavior: 'SCROLLS', children: [] })),
      }),
    })),
  };
}

/** `GET /v1/files/:file_key` and `GET /v1/files/:file_key/comments`, answering as Figma does. */
export function figmaFileRoutes(files: Record<string, FakeFigmaFile>): Record<string, FakeRouteHandler> {
  const fileOf = (key: string | undefined) => (key === undefined ? undefined : files[key]);
  return {
    'GET /v1/files/:file_key': (request, helpers) => {
      helpers.requireToken();
      const file = fileOf(request.params['file_key']);
      if (!file) return figmaError(404, 'Not found');
      const depthText = request.query['depth'];
      const depth = depthText === undefined ? undefined : Number(depthText);
      return {
        status: 200,
        body: {
          name: file.name,
          role: 'owner',
          lastModified: file.lastModified,
          editorType: 'figma',
          thumbnailUrl: 'https://s3-alpha.figma.com/thumbnails/fake',
          version: file.version,
          document: documentOf(file, depth),
          components: {},
          componentSets: {},
          schemaVersion: 0,
          styles: {},
          linkAccess: 'inherit',
        },
      };
    },
    'GET /v1/files/:file_key/comments': (request, helpers) => {
      helpers.requireToken();
      const key = request.params['file_key'];
      const file = fileOf(key);
      if (!file) return figmaError(404, 'Not found');
      // No pagination: every comment at once, as Figma answers.
      return {
        status: 200,
        body: {
          comments: file.comments.map((comment, index) => ({
            ...comment,
            uuid: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
            file_key: key,
            client_meta: { x: 10 * index, y: 20 * index },
            order_id: comment.parent_id === '' ? String(index + 1) : null,
            reactions: [],
          })),
        },
      };
    },
  };
}
