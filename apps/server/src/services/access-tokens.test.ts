import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccessTokenError, signAccessToken, verifyAccessToken } from './access-tokens.js';

const SECRET = 'access-token-test-secret-0123456789abcdef';
const CLAIMS = { subject: 'ada', email: 'ada@example.com', role: 'user' } as const;

async function failure(promise: Promise<unknown>): Promise<AccessTokenError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AccessTokenError);
  return error as AccessTokenError;
}

describe('verifyAccessToken, verifying a token again', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports a token that passed before as expired once its exp is reached', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-30T10:00:00Z') });
    const settings = { secret: SECRET };
    const token = await signAccessToken(settings, CLAIMS, 60);
    expect(await verifyAccessToken(settings, token)).toEqual(CLAIMS);
    expect(await verifyAccessToken(settings, token)).toEqual(CLAIMS);
    vi.setSystemTime(new Date('2026-11-30T10:01:00Z'));
    expect((await failure(verifyAccessToken(settings, token))).reason).toBe('expired');
  });

  it('never reuses a verdict or a key after the settings changed', async () => {
    const settings = { secret: SECRET, issuer: 'https://issuer.test' };
    const token = await signAccessToken(settings, CLAIMS, 600);
    expect(await verifyAccessToken(settings, token)).toEqual(CLAIMS);
    settings.secret = 'another-secret-another-secret-0123456789';
    expect((await failure(verifyAccessToken(settings, token))).reason).toBe('invalid');
    settings.secret = SECRET;
    settings.issuer = 'https://other.test';
    expect((await failure(verifyAccessToken(settings, token))).reason).toBe('invalid');
    expect((await failure(verifyAccessToken({ secret: 'x'.repeat(40) }, token))).reason).toBe('invalid');
  });

  it('hands every caller its own claims object', async () => {
    const settings = { secret: SECRET };
    const token = await signAccessToken(settings, CLAIMS, 600);
    const first = await verifyAccessToken(settings, token);
    first.role = 'admin';
    expect(await verifyAccessToken(settings, token)).toEqual(CLAIMS);
  });

  it('does not accept a token that failed, however often it is sent', async () => {
    const settings = { secret: SECRET };
    const token = await signAccessToken({ secret: 'y'.repeat(40) }, CLAIMS, 600);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await failure(verifyAccessToken(settings, token))).reason).toBe('invalid');
    }
  });
});
