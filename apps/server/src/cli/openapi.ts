import { readFile, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateOpenApiText, openApiFile } from '../openapi.js';
import { fail, failOn } from './exit-with.js';

/** Writes `interfaces/openapi.json`; with `--check`, exits 1 when the checked-in file is stale. */
async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  // Anchor on this file, not the cwd: the document belongs to this checkout whatever folder we run from.
  const path = openApiFile(fileURLToPath(new URL('.', import.meta.url)));
  const shown = relative(process.cwd(), path) || path;
  const text = await generateOpenApiText();
  if (check) {
    const current = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (current !== text) {
      fail(`${shown} is out of date: run \`pnpm openapi\` and commit the result.`);
    }
    process.stdout.write(`${shown} is up to date.\n`);
    return;
  }
  await writeFile(path, text);
  process.stdout.write(`Wrote ${shown}\n`);
}

main().catch(failOn);
