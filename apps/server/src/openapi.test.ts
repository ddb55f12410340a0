import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateOpenApiText, openApiFile } from './openapi.js';

const checkedIn = openApiFile(fileURLToPath(new URL('.', import.meta.url)));

describe('OpenAPI document', () => {
  it('is stable, sorted and documents every operation', async () => {
    const text = await generateOpenApiText();
    expect(await generateOpenApiText()).toBe(text);
    expect(text.endsWith('}\n')).toBe(true);
    const document = JSON.parse(text);
    expect(Object.keys(document)).toEqual([...Object.keys(document)].sort());
    for (const [path, item] of Object.entries<Record<string, Record<string, unknown>>>(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(operation['operationId'], where).toEqual(expect.any(String));
        expect(operation['summary'], where).toEqual(expect.any(String));
        expect(operation['tags'], where).toEqual(expect.arrayContaining([expect.any(String)]));
        expect(Object.keys(operation['responses'] as object).length, where).toBeGreaterThan(1);
      }
    }
  });

  // Stale-file check: fails until `pnpm openapi` is run after a route change.
  it('matches interfaces/openapi.json (run `pnpm openapi` to update)', async () => {
    expect(existsSync(checkedIn), `${checkedIn} is missing: run \`pnpm openapi\``).toBe(true);
    expect(readFileSync(checkedIn, 'utf8')).toBe(await generateOpenApiText());
  });
});
