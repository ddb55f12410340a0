import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateOpenApiText, openApiFile } from './openapi.js';
import { operationsOf } from './plugins/openapi-document.js';
import { createTestApp } from './test/helpers.js';

const checkedIn = openApiFile(fileURLToPath(new URL('.', import.meta.url)));
const repositoryRoot = dirname(dirname(checkedIn));

type Operation = Record<string, unknown> & { responses: Record<string, unknown> };
type Document = Parameters<typeof operationsOf>[0] & {
  components: { schemas: Record<string, { title?: string }> };
};

/** One generation shared by the tests (each builds an app); the first test checks a second is identical. */
let shared: Promise<string> | undefined;
const generatedText = () => {
  shared ??= generateOpenApiText();
  return shared;
};
const generated = async () => JSON.parse(await generatedText()) as Document;

/** Runs the repository's `redocly lint` (offline: redocly.yaml turns telemetry off) on `text`. */
async function redoclyLint(text: string): Promise<{ problems: unknown[]; output: string }> {
  const directory = await mkdtemp(join(tmpdir(), 'cfm-openapi-'));
  try {
    const file = join(directory, 'openapi.json');
    await writeFile(file, text);
    const cli = join(repositoryRoot, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
    const args = [cli, 'lint', '--config', join(repositoryRoot, 'redocly.yaml'), '--format=json', file];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        args,
        {
          cwd: repositoryRoot,
          timeout: 60_000,
          maxBuffer: 16 * 1024 * 1024,
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
        // A lint with errors exits 1 and still prints its JSON report.
        (error, out, err) => (out.trim().startsWith('{') ? resolve(out) : reject(error ?? new Error(err))),
      );
    });
    const report = JSON.parse(stdout) as { problems: unknown[] };
    return { problems: report.problems, output: stdout };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

describe('OpenAPI document', () => {
  it('is stable, sorted and documents every operation', async () => {
    const text = await generatedText();
    expect(await generateOpenApiText()).toBe(text);
    expect(text.endsWith('}\n')).toBe(true);
    const document = JSON.parse(text);
    expect(Object.keys(document)).toEqual([...Object.keys(document)].sort());
    const operationIds = new Set<string>();
    for (const { path, method, operation } of operationsOf(document)) {
      const where = `${method.toUpperCase()} ${path}`;
      const { operationId, summary, tags, responses, security } = operation as Operation;
      expect(operationId, where).toEqual(expect.any(String));
      expect(operationIds.has(operationId as string), `${where}: operationId ${operationId} is taken`).toBe(
        false,
      );
      operationIds.add(operationId as string);
      expect(summary, where).toEqual(expect.any(String));
      expect(tags, where).toEqual(expect.arrayContaining([expect.any(String)]));
      expect(Object.keys(responses).length, where).toBeGreaterThan(1);
      expect(Object.keys(responses), `${where} documents no 4xx answer`).toContainEqual(
        expect.stringMatching(/^4/),
      );
      expect(security, `${where}: security`).toEqual(expect.any(Array));
    }
  });

  it('names the shared schemas, each once, and references them', async () => {
    const document = await generated();
    const schemas = document.components.schemas;
    for (const name of [
      'Connector',
      'ConnectorList',
      'Connection',
      'ConnectionList',
      'ErrorResponse',
      'CustomConnectorInput',
      'AuthorizeResponse',
      'CallbackResult',
    ]) {
      expect(schemas, name).toHaveProperty(name);
    }
    // A component named otherwise than its title (`Connection2`) is a second shape under one title.
    for (const [name, schema] of Object.entries(schemas)) {
      expect(
        schema.title,
        `two different schemas are titled "${schema.title}": give each its own title`,
      ).toBe(name);
    }
    const text = JSON.stringify(document.paths);
    expect(text).not.toContain('"title"');
    expect(text).toContain('"#/components/schemas/ErrorResponse"');
  });

  it('passes `redocly lint` with the recommended rules: no error, no warning', async () => {
    const { problems, output } = await redoclyLint(await generatedText());
    expect(problems, output).toEqual([]);
  });

  it('marks public exactly the operations that answer without a token', async () => {
    const document = await generated();
    const test = await createTestApp('sqlite');
    try {
      const values: Record<string, string> = {
        id: '00000000-0000-4000-8000-000000000000',
        connection_id: '00000000-0000-4000-8000-000000000000',
        connector: 'notion',
        key: 'notion',
        name: 'search',
        path: 'v1/users/me',
      };
      for (const { path, method, operation } of operationsOf(document)) {
        const url = path.replace(/\{([^}]+)\}/g, (_match, name: string) => values[name] ?? 'x');
        // The OAuth routes authenticate in preHandler, after validation: give them a body that passes it.
        const payload =
          operation['operationId'] === 'completeOAuthAuthorization' ? { state: 'x' } : undefined;
        const response = await test.app.inject({ method: method.toUpperCase() as 'GET', url, payload });
        const where = `${method.toUpperCase()} ${path} answered ${response.statusCode} ${response.body}`;
        if ((operation['security'] as unknown[]).length === 0) {
          expect(response.statusCode, where).not.toBe(401);
        } else {
          expect(operation['security'], where).toEqual([{ bearerAuth: [] }]);
          expect(response.statusCode, where).toBe(401);
        }
      }
    } finally {
      await test.close();
    }
  });

  it('documents the 429 the public operations give an address refused for failed authentications', async () => {
    const test = await createTestApp('sqlite', { env: { RATE_LIMIT_AUTH_FAILURES_PER_IP: '1' } });
    try {
      const remoteAddress = '198.51.100.7';
      const badToken = { authorization: 'Bearer not-a-token' };
      for (let attempt = 0; attempt < 2; attempt += 1) {
        await test.app.inject({ method: 'GET', url: '/api/me', headers: badToken, remoteAddress });
      }
      const document = await generated();
      for (const path of ['/healthz', '/readyz', '/api']) {
        const response = await test.app.inject({ method: 'GET', url: path, remoteAddress });
        expect(response.statusCode, `${path}: ${response.body}`).toBe(429);
        expect(response.json()).toMatchObject({ code: 'CFM_RATE_LIMITED' });
        const operation = (document.paths as Record<string, { get: Operation }>)[path]!.get;
        expect(Object.keys(operation.responses), path).toContain('429');
      }
    } finally {
      await test.close();
    }
  });

  // Stale-file check: fails until `pnpm openapi` is run after a route change.
  it('matches interfaces/openapi.json (run `pnpm openapi` to update)', async () => {
    expect(existsSync(checkedIn), `${checkedIn} is missing: run \`pnpm openapi\``).toBe(true);
    expect(readFileSync(checkedIn, 'utf8')).toBe(await generatedText());
  });
});
