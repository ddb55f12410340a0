// The SDK's real HTTP fake OAuth 2 provider (`startFakeOAuth2Provider`) in a process of its own, driven
// over IPC. Run as a child (`startProviderProcess()`), it keeps the provider's own growth (every token it
// ever issued, a log of every request) and its CPU out of the benchmark process, whose memory is measured.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { importBuilt } from './paths.mjs';

const IS_CHILD = process.argv[2] === '--child';

/**
 * Forks this file as the provider process (`expiresIn` seconds per access token, rotating refresh
 * tokens) and resolves once it listens on 127.0.0.1. `issue(count)` returns `count` token pairs issued
 * directly (no HTTP); `counts()` is the provider's request counters; `close()` ends the process.
 */
export async function startProviderProcess({ expiresIn = 600 } = {}) {
  const child = fork(fileURLToPath(import.meta.url), ['--child', String(expiresIn)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let nextId = 0;
  const pending = new Map();
  child.on('message', (message) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`fake provider process: ${message.error}`));
    else waiter.resolve(message.result);
  });
  child.once('exit', (code, signal) => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`fake provider process exited (${code ?? signal})`));
    }
    pending.clear();
  });
  const call = (type, payload = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, type, ...payload });
    });
  const info = await call('info');
  return {
    ...info,
    async issue(count) {
      const pairs = [];
      // Chunks keep each IPC message small (a pair is about 200 bytes of JSON).
      for (let done = 0; done < count; done += 2000) {
        pairs.push(...(await call('issue', { count: Math.min(2000, count - done) })));
      }
      return pairs;
    },
    counts: () => call('counts'),
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        await call('close').catch(() => undefined);
        child.disconnect();
      }
      await exited;
    },
  };
}

async function serve() {
  const { startFakeOAuth2Provider } = await importBuilt('packages/connector-sdk/dist/testing/fakes.js');
  const provider = await startFakeOAuth2Provider({ expiresIn: Number(process.argv[3]) });
  const handlers = {
    info: () => ({
      url: provider.url,
      refreshUrl: provider.refreshUrl,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
    }),
    issue: ({ count }) =>
      Array.from({ length: count }, () => {
        const { credentials } = provider.issueTokensDirectly({ scopes: ['read'] });
        return credentials;
      }),
    counts: () => ({ ...provider.counts }),
    close: async () => {
      await provider.close();
      return null;
    },
  };
  process.on('message', async (message) => {
    try {
      process.send({ id: message.id, result: await handlers[message.type](message) });
    } catch (error) {
      process.send({ id: message.id, error: error instanceof Error ? error.message : String(error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

if (IS_CHILD) await serve();
