import { storedSiteUrl } from '@cfm/atlassian-common';

/** `<site>/wiki`: the base Confluence's relative `webui` links hang off. */
export function wikiBase(linkBase: unknown, metadata: Record<string, unknown>): string | null {
  if (typeof linkBase === 'string' && /^https?:\/\//.test(linkBase)) return linkBase.replace(/\/+$/, '');
  const site = storedSiteUrl(metadata);
  return site === null ? null : `${site}/wiki`;
}

/** The absolute web link of a relative `webui` path, or null when either part is missing. */
export function webLink(base: string | null, path: unknown): string | null {
  if (base === null || typeof path !== 'string' || !path.startsWith('/')) return null;
  return `${base}${path}`;
}

/** The `cursor` parameter of a Confluence `_links.next` (a relative URL), or undefined on the last page. */
export function cursorOfNextLink(next: unknown): string | undefined {
  if (typeof next !== 'string' || next === '') return undefined;
  const cursor = new URL(next, 'https://confluence.invalid').searchParams.get('cursor');
  return cursor === null || cursor === '' ? undefined : cursor;
}
