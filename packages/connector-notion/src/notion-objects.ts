/** A rich-text run: only its plain text matters here. */
export interface NotionRichText {
  plain_text?: string;
}

/** A page or database as `search` and `pages/{id}` return them (API version 2022-06-28). */
export interface NotionObject {
  object: 'page' | 'database' | string;
  id: string;
  last_edited_time?: string;
  url?: string;
  title?: NotionRichText[];
  properties?: Record<string, { type?: string; title?: NotionRichText[] }>;
}

export interface NotionSearchBody {
  object: 'list';
  results?: NotionObject[];
  /** The next page's `start_cursor`; null on the last page. */
  next_cursor?: string | null;
  has_more?: boolean;
}

function joinText(parts: NotionRichText[] | undefined): string | null {
  if (!Array.isArray(parts)) return null;
  return parts.map((part) => part.plain_text ?? '').join('') || null;
}

/** Databases carry `title`; pages carry it in whichever property has type `title`. */
export function titleOf(result: NotionObject): string | null {
  if (Array.isArray(result.title)) return joinText(result.title);
  for (const property of Object.values(result.properties ?? {})) {
    if (property.type === 'title') return joinText(property.title);
  }
  return null;
}
