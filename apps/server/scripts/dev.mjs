// Development mode: `tsc --watch` recompiles src/ into dist/, and `node --watch` restarts the server
// whenever a compiled file it loaded changes. Ctrl-C stops both.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const options = { cwd: root, stdio: 'inherit' };

// One full build first, so the server starts from an up-to-date dist/.
// tsc still emits JavaScript when it reports type errors, so those do not stop dev mode; a missing
// dist/server.js (a syntax error, say) does.
const initial = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], options);
if (initial.status !== 0 && !existsSync(join(root, 'dist', 'server.js'))) {
  process.exit(initial.status ?? 1);
}
spawnSync(process.execPath, [join(root, 'scripts', 'copy-assets.mjs')], options);

const children = [
  spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'], options),
  spawn(process.execPath, ['--watch', '--watch-preserve-output', 'dist/server.js'], options),
];

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
  process.exitCode = code;
}

for (const child of children) {
  child.on('exit', (code) => stop(code ?? 0));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
