// Development mode, the server's part of `pnpm dev` (a turbo `dev` task across the workspace: every package the
// server uses runs `tsc --watch` into its dist/). This script builds the server once, keeps `tsc --watch` on its
// own sources, runs `node dist/server.js`, and restarts it when the compiled code of the server or of any
// workspace package it depends on changes. Unchanged rewrites (a watcher's first compile) do not restart it.
// Ctrl-C stops everything.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const repository = join(root, '..', '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const options = { cwd: root, stdio: 'inherit' };
const POLL_MS = 400;
const SETTLE_MS = 300;

function say(message) {
  process.stdout.write(`[dev] ${message}\n`);
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Every workspace package folder, by package name. */
function workspacePackages() {
  const byName = new Map();
  for (const group of ['packages', 'apps']) {
    const parent = join(repository, group);
    if (!existsSync(parent)) continue;
    for (const entry of readdirSync(parent)) {
      const manifest = join(parent, entry, 'package.json');
      if (existsSync(manifest)) byName.set(readJson(manifest).name, join(parent, entry));
    }
  }
  return byName;
}

/** The server and every workspace package it depends on, directly or not: the dist/ folders to watch. */
function watchedFolders() {
  const byName = workspacePackages();
  const folders = new Map([['@cfm/server', root]]);
  const pending = [root];
  while (pending.length > 0) {
    const manifest = readJson(join(pending.pop(), 'package.json'));
    for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
      const folder = byName.get(name);
      if (folder === undefined || folders.has(name) || !String(range).startsWith('workspace:')) continue;
      folders.set(name, folder);
      pending.push(folder);
    }
  }
  return [...folders].map(([name, folder]) => ({ name, dist: join(folder, 'dist') }));
}

function jsFiles(folder) {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.js'))
    .map((file) => join(folder, file))
    .sort();
}

/** Cheap: sizes and modification times. */
function fingerprint(watched) {
  const hash = createHash('sha256');
  for (const { dist } of watched) {
    for (const file of jsFiles(dist)) {
      const stats = statSync(file, { throwIfNoEntry: false });
      if (stats) hash.update(`${file}:${stats.size}:${stats.mtimeMs}\n`);
    }
  }
  return hash.digest('hex');
}

/** What the code is, per package: compared before restarting, so a rewrite with the same bytes changes nothing. */
function contents(watched) {
  const result = new Map();
  for (const { name, dist } of watched) {
    const hash = createHash('sha256');
    for (const file of jsFiles(dist)) {
      hash.update(relative(dist, file));
      try {
        hash.update(readFileSync(file));
      } catch {
        // Deleted between listing and reading (a rebuild emptying dist/): the next poll sees the new state.
      }
    }
    result.set(name, hash.digest('hex'));
  }
  return result;
}

// One full build first, so the server starts from an up-to-date dist/. tsc still emits JavaScript when it
// reports type errors, so those do not stop dev mode; a missing dist/server.js (a syntax error, say) does.
say('building the server');
const initial = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], options);
if (initial.status !== 0 && !existsSync(join(root, 'dist', 'server.js'))) {
  process.exit(initial.status ?? 1);
}
spawnSync(process.execPath, [join(root, 'scripts', 'copy-assets.mjs')], options);

const watched = watchedFolders();
const compiler = spawn(
  process.execPath,
  [tsc, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'],
  options,
);

let server;
let stopping = false;
let running = contents(watched);

function startServer() {
  server = spawn(process.execPath, ['dist/server.js'], options);
  server.on('exit', (code, signal) => {
    server = undefined;
    if (!stopping && signal === null)
      say(`the server exited (${code}); waiting for a change to start it again`);
  });
}

function stopServer() {
  return new Promise((resolve) => {
    if (server === undefined) return resolve();
    server.once('exit', () => resolve());
    server.kill('SIGTERM');
  });
}

let lastFingerprint = fingerprint(watched);
let restarting = false;
const poll = setInterval(async () => {
  if (restarting || stopping) return;
  const now = fingerprint(watched);
  if (now === lastFingerprint) return;
  // Let a compiler finish writing every file of the change before reading them.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  lastFingerprint = fingerprint(watched);
  // A `build` empties dist/ before compiling: restarting now would only fail to import; the next poll sees it filled.
  const building = watched.filter(({ dist }) => jsFiles(dist).length === 0).map(({ name }) => name);
  if (building.length > 0) {
    lastFingerprint = '';
    return;
  }
  const next = contents(watched);
  const changed = [...next].filter(([name, hash]) => running.get(name) !== hash).map(([name]) => name);
  if (changed.length === 0 && server !== undefined) return;
  restarting = true;
  say(`${changed.length === 0 ? 'the code' : changed.join(', ')} changed: restarting the server`);
  await stopServer();
  running = next;
  if (!stopping) startServer();
  restarting = false;
}, POLL_MS);

say(`watching ${watched.map(({ name }) => name).join(', ')}`);
startServer();

async function stop(code) {
  if (stopping) return;
  stopping = true;
  clearInterval(poll);
  if (compiler.exitCode === null) compiler.kill('SIGTERM');
  await stopServer();
  process.exit(code);
}

compiler.on('exit', (code) => {
  if (!stopping) void stop(code ?? 0);
});
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
