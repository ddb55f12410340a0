import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateConnectorPackages } from './lib/connector-packages.mjs';
import { serverEnv, serverSecrets, signJwt } from './lib/http-seed.mjs';
import { summarize } from './lib/measure.mjs';
import { BARE_ENTRY, SERVER_ENTRY, SERVER_NODE_ARGS, startProcess } from './lib/processes.mjs';

const GENERATED_PACKAGES = 200;
const BUNDLED = 6;

/** Spawns, waits for `/healthz`, reads RSS, runs `inspect(url)` (untimed), stops. */
async function startOnce(options, inspect = async () => undefined) {
  const started = await startProcess(options);
  try {
    const rssBytes = started.rssBytes();
    return { startupMs: started.startupMs, rssBytes, inspected: await inspect(started.url) };
  } finally {
    await started.stop();
  }
}

/** How many connectors the started server lists as loaded. */
async function countLoaded(url, jwtSecret) {
  const token = signJwt(jwtSecret, { subject: 'bench|startup', email: 'startup@bench.example' });
  const response = await fetch(`${url}/api/connectors/`, { headers: { authorization: `Bearer ${token}` } });
  const list = await response.json();
  return list.filter((connector) => connector.status === 'loaded').length;
}

/**
 * One variant: the first start on a fresh SQLite file (migrations, catalogue rows written), then
 * `startupTrials` restarts interleaved with bare Fastify starts. Ours is spawn → `/healthz` answers 200.
 */
async function benchVariant({ variant, extraEnv, expectedLoaded, settings }) {
  const folder = mkdtempSync(join(tmpdir(), 'cfm-bench-startup-'));
  const secrets = serverSecrets();
  const ours = {
    entry: SERVER_ENTRY,
    nodeArgs: SERVER_NODE_ARGS,
    label: `server (${variant})`,
    env: serverEnv(`sqlite:///${join(folder, 'startup.db')}`, secrets, extraEnv),
  };
  const bare = { entry: BARE_ENTRY, env: {}, args: (port) => [String(port)], label: 'bare Fastify' };
  try {
    const first = await startOnce(ours, (url) => countLoaded(url, secrets.JWT_SECRET));
    const loaded = first.inspected;
    const oursMs = [];
    const bareMs = [];
    let rssBytes = first.rssBytes;
    for (let trial = 0; trial < settings.startupTrials; trial++) {
      const order = trial % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours'];
      for (const side of order) {
        const result = await startOnce(side === 'ours' ? ours : bare);
        (side === 'ours' ? oursMs : bareMs).push(result.startupMs);
        if (side === 'ours') rssBytes = Math.max(rssBytes, result.rssBytes);
      }
    }
    return {
      benchmark: 'startup',
      variant,
      labels: { ours: 'spawn → /healthz 200 (restart)', baseline: 'bare Fastify spawn → /healthz 200' },
      unit: 'ms',
      ours: summarize(oursMs),
      baseline: summarize(bareMs),
      ratio: summarize(oursMs.map((ms, trial) => ms / bareMs[trial])),
      startup: { variant, firstMs: first.startupMs, restartMs: summarize(oursMs), bareMs: summarize(bareMs) },
      notes: [
        `first start on a fresh database (migrations, catalogue written): ${first.startupMs.toFixed(0)} ms`,
        `${loaded} connectors loaded; RSS just after start ${(rssBytes / 2 ** 20).toFixed(0)} MB`,
      ],
      failures: loaded === expectedLoaded ? [] : [`${loaded} connectors loaded, expected ${expectedLoaded}`],
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Start-up time of the server process with the bundled connectors, and with 200 more packages. */
export async function run(settings) {
  const results = [
    await benchVariant({
      variant: `${BUNDLED} connectors`,
      extraEnv: {},
      expectedLoaded: BUNDLED,
      settings,
    }),
  ];
  const connectorsDir = generateConnectorPackages(GENERATED_PACKAGES);
  try {
    results.push(
      await benchVariant({
        variant: `${BUNDLED} + ${GENERATED_PACKAGES} packages`,
        extraEnv: { CONNECTORS_DIR: connectorsDir },
        expectedLoaded: BUNDLED + GENERATED_PACKAGES,
        settings,
      }),
    );
  } finally {
    rmSync(connectorsDir, { recursive: true, force: true });
  }
  return results;
}
