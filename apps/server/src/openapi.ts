import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { buildApp } from './app.js';
import { findRepoRoot } from './config/env-file.js';
import { loadConfig } from './config.js';

/** Where the generated document is checked in, relative to the repository root. */
export const OPENAPI_PATH = join('interfaces', 'openapi.json');

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * Two different schemas under one `title` are named `Title`, `Title2`… (see `plugins/openapi-document.ts`):
 * fine for a running server, but a checked-in document (and the client generated from it) must not change
 * a type's name with the order of the routes.
 */
function assertOneSchemaPerTitle(document: object): void {
  const { components } = document as { components?: { schemas?: Record<string, { title?: unknown }> } };
  const renamed = Object.entries(components?.schemas ?? {})
    .filter(([name, schema]) => schema.title !== undefined && schema.title !== name)
    .map(([name, schema]) => `${name} (titled "${String(schema.title)}")`);
  if (renamed.length > 0) {
    throw new Error(
      `different schemas share a title, so these were renamed: ${renamed.join(', ')}. Give each its own \`title\`.`,
    );
  }
}

/**
 * The OpenAPI document as checked in: built from a fixed configuration (so a deployment's APP_NAME or
 * secrets never leak into it), keys sorted, two-space indent, trailing newline.
 */
export async function generateOpenApiText(): Promise<string> {
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: 'sqlite::memory:',
      JWT_SECRET: randomBytes(48).toString('base64url'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    },
    { dotenv: false, generateSecrets: false },
  );
  const app = await buildApp(config, { logStream: false });
  try {
    await app.ready();
    const document = app.swagger();
    assertOneSchemaPerTitle(document);
    return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
  } finally {
    await app.close();
  }
}

/** Absolute path of the checked-in document. */
export function openApiFile(start = process.cwd()): string {
  return join(findRepoRoot(start) ?? start, OPENAPI_PATH);
}
