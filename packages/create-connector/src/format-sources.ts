import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const FORMAT_TIMEOUT_MS = 20_000;

/** The repository's Biome binary, when it is installed. */
export function findBiome(root: string): string | undefined {
  const binary = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'biome.cmd' : 'biome');
  return existsSync(binary) ? binary : undefined;
}

function checkWrite(biome: string, root: string, virtualPath: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(biome, ['check', '--write', `--stdin-file-path=${virtualPath}`], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: FORMAT_TIMEOUT_MS,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const formatted = Buffer.concat(out).toString('utf8');
      if (code === 0 && formatted.trim() !== '') resolve(formatted);
      else
        reject(
          new Error(`biome check ${virtualPath} exited ${code}: ${Buffer.concat(err).toString('utf8')}`),
        );
    });
    child.stdin.end(text);
  });
}

/**
 * Formats the TypeScript and JSON files with the repository's Biome configuration (imports sorted, long lines
 * wrapped as `pnpm lint` wants them), so a generated package passes `biome check` whatever the names' lengths.
 * `virtualFolder` is where the files would sit under `root` (Biome picks its settings by path). Returns the
 * problems instead of throwing: an unformatted file is still a working one.
 */
export async function formatSources(
  files: Record<string, string>,
  options: { root: string; virtualFolder: string },
): Promise<{ files: Record<string, string>; problems: string[] }> {
  const biome = findBiome(options.root);
  if (biome === undefined) {
    return { files, problems: [`Biome is not installed under ${options.root}: files are left unformatted`] };
  }
  const problems: string[] = [];
  const entries = await Promise.all(
    Object.entries(files).map(async ([path, text]): Promise<[string, string]> => {
      if (!/\.(?:ts|json)$/.test(path)) return [path, text];
      try {
        return [path, await checkWrite(biome, options.root, `${options.virtualFolder}/${path}`, text)];
      } catch (error) {
        problems.push((error as Error).message);
        return [path, text];
      }
    }),
  );
  return { files: Object.fromEntries(entries), problems };
}
