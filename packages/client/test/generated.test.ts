import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const script = fileURLToPath(new URL('../scripts/generate.mjs', import.meta.url));

// Stale-file check: fails until `pnpm openapi` is run after the API changed.
it('src/generated/openapi.ts matches interfaces/openapi.json (run `pnpm openapi` to update)', async () => {
  const outcome = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(process.execPath, [script, '--check'], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
        output: stdout + stderr,
      });
    });
  });
  expect(outcome.output).toContain('is up to date');
  expect(outcome.code, outcome.output).toBe(0);
});
