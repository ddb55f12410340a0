import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The kit's action checks must be able to fail: this runs a suite over a deliberately broken connector
// (test/fixtures/broken-actions.fixture.ts) in a child vitest and reads which of its tests failed.

const FIXTURES = join(import.meta.dirname, 'test', 'fixtures');

interface AssertionResult {
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo' | 'disabled';
  failureMessages: string[];
}

let results: AssertionResult[] = [];
let directory: string | undefined;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'cfm-conformance-'));
  const output = join(directory, 'results.json');
  const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
  // A clean environment: the child must not think it is a worker of this run.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  await promisify(execFile)(
    process.execPath,
    [
      vitest,
      'run',
      '--config',
      join(FIXTURES, 'vitest.config.ts'),
      '--reporter=json',
      `--outputFile=${output}`,
    ],
    { cwd: FIXTURES, env, timeout: 120_000 },
  ).catch((error: unknown) => {
    // Failing tests make vitest exit 1: expected. Anything else (no report written) surfaces below.
    if ((error as { code?: unknown }).code !== 1) throw error;
  });
  const report = JSON.parse(await readFile(output, 'utf8')) as {
    testResults: { assertionResults: AssertionResult[] }[];
  };
  results = report.testResults.flatMap((file) => file.assertionResults);
}, 150_000);

afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

function statusOf(title: string): string {
  const found = results.find((result) => result.title === title);
  return found?.status ?? `no test titled "${title}"`;
}

describe('describeConformance over a connector whose actions break the rules', () => {
  it('fails a sample for an action the connector does not declare', () => {
    expect(statusOf('every action sample names an action the connector declares')).toBe('failed');
  });

  it('fails every sample-based test of an action without a sample (not a skip), saying what to add', () => {
    for (const title of [
      'action without_sample: the sample input validates against the input schema',
      'action without_sample: runs the sample against the fake and returns output matching its schema',
      'action without_sample: a revoked token fails with reason "auth", the token not in the message',
      'action without_sample: a 429 from the provider surfaces as reason "rate_limited"',
    ]) {
      expect(statusOf(title), title).toBe('failed');
    }
    const message = results.find((result) => result.title.startsWith('action without_sample: the sample'));
    expect(message?.failureMessages.join('\n')).toContain('no sample for action "without_sample"');
  });

  it('fails a sample input and an output that do not match their schemas', () => {
    expect(statusOf('action wrong_output: the sample input validates against the input schema')).toBe(
      'failed',
    );
    expect(
      statusOf(
        'action wrong_output: runs the sample against the fake and returns output matching its schema',
      ),
    ).toBe('failed');
  });

  it('fails an output schema that is not JSON Schema', () => {
    expect(statusOf('action bad_schema: input and output schemas are valid JSON Schema')).toBe('failed');
  });

  it('fails an action that hides a revoked token or a 429', () => {
    expect(
      statusOf(
        'action swallows_errors: a revoked token fails with reason "auth", the token not in the message',
      ),
    ).toBe('failed');
    expect(
      statusOf('action swallows_errors: a 429 from the provider surfaces as reason "rate_limited"'),
    ).toBe('failed');
  });

  it('still passes what the broken connector gets right', () => {
    expect(
      statusOf('action wrong_output: snake_case name, object input schema with snake_case properties'),
    ).toBe('passed');
    expect(statusOf('action swallows_errors: the sample input validates against the input schema')).toBe(
      'passed',
    );
    expect(statusOf('api: the base URL resolves once check has run, on an origin the fake serves')).toBe(
      'passed',
    );
    expect(statusOf('check() proves valid credentials and names the account')).toBe('passed');
  });
});
