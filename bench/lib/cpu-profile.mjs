import { readFileSync } from 'node:fs';

/** `node_modules/.pnpm/<package@version>/…` → the package; `/<repo>/apps/server/…` → `apps/server`. */
function ownerOf(rawUrl, functionName, repoPath) {
  const url = rawUrl.startsWith('file://') ? rawUrl.slice('file://'.length) : rawUrl;
  if (url.includes('node_modules/.pnpm/')) return url.split('node_modules/.pnpm/')[1].split('/')[0];
  if (url.startsWith(repoPath)) return url.slice(repoPath.length).split('/').slice(0, 2).join('/');
  if (url.startsWith('node:')) return 'node: internals (http, streams, modules)';
  if (url === '' && /^\(.*\)$/.test(functionName)) return functionName; // (idle), (garbage collector)
  return url === '' ? `native: ${functionName || 'anonymous'}` : url;
}

/**
 * Self time of a V8 `.cpuprofile` between two monotonic timestamps (microseconds, `process.hrtime` in any
 * process of the machine: V8 stamps samples with the same clock), summed by owner (package, workspace
 * folder, Node internals, native: `writev` is the kernel write of the response) and by function.
 */
export function summarizeProfile(file, { fromUs, toUs, repoPath }) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const selfUs = new Map();
  let time = profile.startTime;
  for (let index = 0; index < profile.samples.length; index++) {
    time += profile.timeDeltas[index] ?? 0;
    if (time < fromUs || time > toUs) continue;
    const node = profile.samples[index];
    selfUs.set(node, (selfUs.get(node) ?? 0) + (profile.timeDeltas[index] ?? 0));
  }
  const byOwner = new Map();
  const byFunction = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    total += us;
    const { url, functionName, lineNumber } = node.callFrame;
    const owner = ownerOf(url, functionName, repoPath);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
    const name = url ? `${functionName || '(anonymous)'} ${owner}:${lineNumber + 1}` : owner;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  }
  const top = (map, count) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, us]) => ({ name, share: total === 0 ? 0 : us / total }));
  return { totalMs: total / 1000, owners: top(byOwner, 12), functions: top(byFunction, 20) };
}
