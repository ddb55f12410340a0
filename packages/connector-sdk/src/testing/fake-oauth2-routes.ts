import type { FakeRouteHandler } from './fake-oauth2-types.js';

interface CompiledRoute {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: FakeRouteHandler;
}

export interface MatchedRoute {
  handler: FakeRouteHandler;
  params: Record<string, string>;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles `'GET /ex/jira/:cloudId/rest/api/3/myself'` keys into matchers. */
export function compileRoutes(routes: Record<string, FakeRouteHandler>): CompiledRoute[] {
  return Object.entries(routes).map(([key, handler]) => {
    const match = /^([A-Z]+)\s+(\/\S*)$/.exec(key.trim());
    if (!match?.[1] || !match[2]) {
      throw new Error(`fake provider: route key "${key}" must look like "GET /path/:param"`);
    }
    const names: string[] = [];
    const source = match[2]
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return escapeRegExp(segment);
        names.push(segment.slice(1));
        return '([^/]+)';
      })
      .join('/');
    return { method: match[1], pattern: new RegExp(`^${source}$`), names, handler };
  });
}

export function matchRoute(routes: CompiledRoute[], method: string, path: string): MatchedRoute | null {
  for (const route of routes) {
    if (route.method !== method) continue;
    const found = route.pattern.exec(path);
    if (!found) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, index) => {
      params[name] = decodeURIComponent(found[index + 1] ?? '');
    });
    return { handler: route.handler, params };
  }
  return null;
}
