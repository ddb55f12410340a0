/** A node of the Atlassian Document Format, as Jira's v3 API reads and writes rich text. */
export interface AdfNode {
  type: string;
  text?: string;
  attrs?: Record<string, unknown>;
  content?: AdfNode[];
}

export interface AdfDocument {
  type: 'doc';
  version: 1;
  content: AdfNode[];
}

/**
 * Plain text as an ADF document: blank lines separate paragraphs, single line breaks become `hardBreak`s.
 * Jira's v3 API refuses a plain string where rich text goes ("Operation value must be an Atlassian Document").
 *
 * @example
 * ```ts
 * textToAdf('First line\nsecond line\n\nNext paragraph');
 * ```
 */
export function textToAdf(text: string): AdfDocument {
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((paragraph) => paragraph.replace(/^\n+|\n+$/g, ''))
    .filter((paragraph) => paragraph.trim() !== '');
  return {
    type: 'doc',
    version: 1,
    content: paragraphs.map((paragraph) => {
      const content: AdfNode[] = [];
      paragraph.split('\n').forEach((line, index) => {
        if (index > 0) content.push({ type: 'hardBreak' });
        // ADF refuses empty text nodes.
        if (line !== '') content.push({ type: 'text', text: line });
      });
      return { type: 'paragraph', content };
    }),
  };
}

const BLOCKS = new Set([
  'paragraph',
  'heading',
  'blockquote',
  'codeBlock',
  'panel',
  'rule',
  'mediaSingle',
  'mediaGroup',
  'table',
  'tableRow',
  'expand',
  'nestedExpand',
  'decisionList',
  'taskList',
]);

function inlineText(node: AdfNode): string {
  switch (node.type) {
    case 'text':
      return node.text ?? '';
    case 'hardBreak':
      return '\n';
    case 'mention':
    case 'emoji':
    case 'status':
      return String(node.attrs?.['text'] ?? node.attrs?.['shortName'] ?? '');
    case 'inlineCard':
      return String(node.attrs?.['url'] ?? '');
    case 'date': {
      const timestamp = Number(node.attrs?.['timestamp']);
      return Number.isFinite(timestamp) ? new Date(timestamp).toISOString().slice(0, 10) : '';
    }
    default:
      return blocksText(node.content ?? []);
  }
}

function blockText(node: AdfNode): string {
  if (node.type === 'bulletList' || node.type === 'orderedList') {
    return (node.content ?? [])
      .map((item, index) => {
        const marker = node.type === 'orderedList' ? `${index + 1}.` : '-';
        return `${marker} ${blocksText(item.content ?? []).replace(/\n/g, '\n  ')}`;
      })
      .join('\n');
  }
  if (node.type === 'tableCell' || node.type === 'tableHeader') return blocksText(node.content ?? []);
  if (node.type === 'tableRow') return (node.content ?? []).map(blockText).join(' | ');
  if (BLOCKS.has(node.type)) {
    const children = node.content ?? [];
    const nested = children.some((child) => BLOCKS.has(child.type) || child.type.endsWith('List'));
    return nested ? blocksText(children) : children.map(inlineText).join('');
  }
  return inlineText(node);
}

function blocksText(nodes: AdfNode[]): string {
  return nodes
    .map(blockText)
    .filter((text) => text !== '')
    .join('\n\n');
}

/**
 * The readable text of an ADF document (Jira's `description`): paragraphs separated by a blank line, list
 * items as `- item`, mentions and emoji by their text. Marks (bold, links) are dropped. Null stays null.
 *
 * @example
 * ```ts
 * adfToText(issue.fields.description); // 'First line\nsecond line\n\nNext paragraph'
 * ```
 */
export function adfToText(document: unknown): string | null {
  if (document === null || document === undefined) return null;
  // The v2 API (and some Data Center answers) still send plain strings.
  if (typeof document === 'string') return document;
  const root = document as Partial<AdfNode>;
  if (!Array.isArray(root.content)) return null;
  return blocksText(root.content);
}
