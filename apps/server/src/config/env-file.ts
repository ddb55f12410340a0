import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'dotenv';

/** The folder holding `pnpm-workspace.yaml` at or above `start`, or undefined outside the repository. */
export function findRepoRoot(start: string): string | undefined {
  let folder = resolve(start);
  for (;;) {
    if (existsSync(join(folder, 'pnpm-workspace.yaml'))) {
      return folder;
    }
    const parent = dirname(folder);
    if (parent === folder) {
      return undefined;
    }
    folder = parent;
  }
}

/** The variables of a `.env` file, or undefined when there is none. */
export function readEnvFile(path: string): Record<string, string> | undefined {
  if (!existsSync(path)) {
    return undefined;
  }
  return parse(readFileSync(path));
}

export function generateJwtSecret(): string {
  return randomBytes(48).toString('base64url');
}

export function generateEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * Writes a first-run `.env` holding freshly generated secrets, readable by the owner only. Fails
 * (`EEXIST`) rather than overwrite a file that appeared meanwhile.
 */
export function writeGeneratedEnvFile(path: string, values: Record<string, string>): void {
  const lines = [
    '# Written by Connector Framework Manager on first start in development, with freshly generated secrets.',
    '# Keep this file private: anyone holding JWT_SECRET can sign in as anyone, and ENCRYPTION_KEY decrypts',
    '# every stored credential (losing it makes them unreadable). See .env.example for every setting.',
    ...Object.entries(values).map(([name, value]) => `${name}=${value}`),
    '',
  ];
  writeFileSync(path, lines.join('\n'), { flag: 'wx', mode: 0o600 });
}
