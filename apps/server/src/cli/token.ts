import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { signAccessToken } from '../services/access-tokens.js';
import { fail, failOn } from './exit-with.js';

const USAGE = 'Usage: pnpm dev-token --email someone@example.com [--admin] [--ttl 1h] [--sub <subject>]';
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `15m`, `1h`, `7d` → seconds. */
export function parseTtl(text: string): number | undefined {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (match === null) return undefined;
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
  return seconds > 0 ? seconds : undefined;
}

async function main(): Promise<void> {
  let values: { email?: string; admin?: boolean; ttl?: string; sub?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        email: { type: 'string' },
        admin: { type: 'boolean', default: false },
        ttl: { type: 'string', default: '1h' },
        sub: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\nPrints a signed HS256 access token (JWT) for local use.\n`);
    return;
  }
  const email = values.email?.trim();
  if (email === undefined || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    fail(`--email is required and must be an email address\n${USAGE}`);
  }
  const ttlSeconds = parseTtl(values.ttl ?? '1h');
  if (ttlSeconds === undefined) {
    fail(`--ttl must look like 90s, 15m, 1h or 7d\n${USAGE}`);
  }
  const config = loadConfig();
  if (config.generatedEnvFile !== undefined) {
    process.stderr.write(`Wrote ${config.generatedEnvFile} with freshly generated secrets (first run).\n`);
  }
  if (ttlSeconds > config.jwt.maxAgeSeconds) {
    // The server would refuse it: say so now rather than print a token that answers 401.
    fail(`--ttl must not exceed JWT_MAX_AGE (${config.jwt.maxAgeSeconds} seconds)\n${USAGE}`);
  }
  const token = await signAccessToken(
    config.jwt,
    { subject: values.sub ?? `local|${email.toLowerCase()}`, email, role: values.admin ? 'admin' : 'user' },
    ttlSeconds,
  );
  process.stdout.write(`${token}\n`);
}

main().catch(failOn);
