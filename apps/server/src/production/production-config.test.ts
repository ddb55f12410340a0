import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { startClusterIfAsked, workersArgument } from './cluster-primary.js';

const BASE = { JWT_SECRET: 'a'.repeat(32), ENCRYPTION_KEY: randomBytes(32).toString('base64') };
const load = (env: Record<string, string>) =>
  loadConfig({ ...BASE, ...env }, { dotenv: false, rootDir: '/srv/cfm' });

describe('production settings', () => {
  it('defaults to one process, no metrics, no trusted proxy', () => {
    const config = load({});
    expect(config).toMatchObject({ webConcurrency: 1, metricsEnabled: false, trustProxy: false });
    expect(config.workerSlot).toBeUndefined();
  });

  it('reads WEB_CONCURRENCY, METRICS_ENABLED, TRUST_PROXY and the slot the primary gives a worker', () => {
    expect(load({ WEB_CONCURRENCY: '4' }).webConcurrency).toBe(4);
    expect(load({ METRICS_ENABLED: 'true' }).metricsEnabled).toBe(true);
    expect(load({ CFM_WORKER_SLOT: '2' }).workerSlot).toBe(2);
    expect(load({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(load({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(load({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' }).trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8']);
  });

  it.each([
    [{ WEB_CONCURRENCY: '0' }, 'WEB_CONCURRENCY must be a whole number from 1 to 64'],
    [{ WEB_CONCURRENCY: '65' }, 'WEB_CONCURRENCY must be a whole number from 1 to 64'],
    [{ METRICS_ENABLED: 'maybe' }, 'METRICS_ENABLED must be true or false'],
    [
      { TRUST_PROXY: 'every proxy' },
      'TRUST_PROXY must be true, false, a hop count, or comma-separated addresses/CIDRs',
    ],
  ])('refuses %o in one line', (env, message) => {
    expect(() => load(env)).toThrow(new ConfigError(message));
  });

  it('takes --workers N and --workers=N from the command line, and refuses a bad count', () => {
    expect(workersArgument([])).toBeUndefined();
    expect(workersArgument(['--workers', '3'])).toBe(3);
    expect(workersArgument(['--workers=2'])).toBe(2);
    expect(() => workersArgument(['--workers', 'many'])).toThrow(ConfigError);
    expect(() => workersArgument(['--workers=0'])).toThrow(ConfigError);
  });

  it('serves in this process (no cluster) for one worker, or in a worker', async () => {
    expect(await startClusterIfAsked(load({}), [])).toBe(false);
    expect(await startClusterIfAsked(load({ WEB_CONCURRENCY: '1' }), ['--workers', '1'])).toBe(false);
    expect(await startClusterIfAsked(load({ WEB_CONCURRENCY: '4', CFM_WORKER_SLOT: '1' }), [])).toBe(false);
  });
});
