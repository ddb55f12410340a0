import { describe, expect, it } from 'vitest';
import {
  AccessTokenError,
  accessTokenErrorOf,
  claimsOf,
  DEFAULT_MAX_AGE_SECONDS,
  verifierOptions,
} from './access-tokens.js';

const SETTINGS = { secret: 'access-token-test-secret-0123456789abcdef' };
const NOW_MS = Date.parse('2026-11-30T10:00:00Z');
const NOW = NOW_MS / 1000;
const GOOD = { sub: 'ada', email: 'Ada@Example.com', iat: NOW, exp: NOW + 3600 };

function refusal(payload: Record<string, unknown>, settings = SETTINGS): AccessTokenError {
  try {
    claimsOf(settings, payload, NOW_MS);
  } catch (error) {
    expect(error).toBeInstanceOf(AccessTokenError);
    return error as AccessTokenError;
  }
  throw new Error('the payload was accepted');
}

describe('claimsOf: the rules a verified token must also pass', () => {
  it('accepts a token signed for an hour, lower-casing the email', () => {
    expect(claimsOf(SETTINGS, GOOD, NOW_MS)).toEqual({
      subject: 'ada',
      email: 'ada@example.com',
      role: 'user',
    });
    expect(claimsOf(SETTINGS, { ...GOOD, role: 'admin' }, NOW_MS).role).toBe('admin');
  });

  it('reports expired once exp is reached, in whole seconds', () => {
    expect(refusal({ ...GOOD, exp: NOW }).reason).toBe('expired');
    expect(claimsOf(SETTINGS, { ...GOOD, exp: NOW + 1 }, NOW_MS).subject).toBe('ada');
  });

  it('refuses a lifetime beyond JWT_MAX_AGE: exp - iat, or exp - now without iat', () => {
    const century = refusal({ ...GOOD, exp: NOW + 100 * 365 * 86_400 });
    expect(century.reason).toBe('invalid');
    expect(century.message).toMatch(/valid for longer than the 86400 seconds/);
    expect(refusal({ ...GOOD, iat: NOW - 60, exp: NOW - 60 + DEFAULT_MAX_AGE_SECONDS + 1 }).reason).toBe(
      'invalid',
    );
    const { iat: _iat, ...withoutIat } = GOOD;
    expect(refusal({ ...withoutIat, exp: NOW + 2 * 86_400 }).reason).toBe('invalid');
    expect(claimsOf(SETTINGS, { ...withoutIat, exp: NOW + 86_400 }, NOW_MS).subject).toBe('ada');
    // A configured maximum: a week.
    const week = { ...SETTINGS, maxAgeSeconds: 7 * 86_400 };
    expect(claimsOf(week, { ...GOOD, exp: NOW + 2 * 86_400 }, NOW_MS).subject).toBe('ada');
    expect(refusal({ ...GOOD, exp: NOW + 8 * 86_400 }, week).reason).toBe('invalid');
  });

  it('refuses iat and nbf in the future beyond the clock skew, tolerates them within it', () => {
    expect(refusal({ ...GOOD, iat: NOW + 3600, exp: NOW + 7200 }).message).toMatch(/"iat" is in the future/);
    expect(refusal({ ...GOOD, nbf: NOW + 600 }).message).toMatch(/not valid yet/);
    expect(claimsOf(SETTINGS, { ...GOOD, iat: NOW + 20, nbf: NOW + 20 }, NOW_MS).subject).toBe('ada');
    const strict = { ...SETTINGS, clockSkewSeconds: 0 };
    expect(refusal({ ...GOOD, iat: NOW + 5 }, strict).reason).toBe('invalid');
  });

  it('refuses non-numeric dates', () => {
    expect(refusal({ ...GOOD, iat: '2026' }).message).toMatch(/"iat" must be a number/);
    expect(refusal({ ...GOOD, nbf: null }).message).toMatch(/"nbf" must be a number/);
    expect(refusal({ ...GOOD, exp: undefined }).message).toMatch(/"exp" is required/);
  });

  it('refuses a NUL or other control character, and absurd lengths, in sub and email', () => {
    for (const payload of [
      { ...GOOD, sub: 'ada\u0000admin' },
      { ...GOOD, sub: 'ada\n' },
      { ...GOOD, sub: 'a'.repeat(256) },
      { ...GOOD, sub: '   ' },
      { ...GOOD, sub: 42 },
      { ...GOOD, email: 'ada\u0000@example.com' },
      { ...GOOD, email: `${'a'.repeat(400)}@example.com` },
      { ...GOOD, email: 'not an email' },
    ]) {
      const error = refusal(payload);
      expect(error.reason).toBe('invalid');
      expect(error.message).not.toContain('\u0000');
    }
  });
});

describe('verifierOptions and accessTokenErrorOf', () => {
  it('pins HS256 and requires iss and aud when they are configured (fast-jwt skips absent claims)', () => {
    expect(verifierOptions(SETTINGS)).toMatchObject({
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'sub'],
    });
    expect(verifierOptions({ ...SETTINGS, issuer: 'https://issuer.test', audience: 'cfm' })).toMatchObject({
      requiredClaims: ['exp', 'sub', 'iss', 'aud'],
      allowedIss: 'https://issuer.test',
      allowedAud: 'cfm',
    });
  });

  it("maps fast-jwt's failures, and nothing else", () => {
    const expired = Object.assign(new Error('The token has expired at …'), { code: 'FAST_JWT_EXPIRED' });
    expect(accessTokenErrorOf(expired)?.reason).toBe('expired');
    const forged = Object.assign(new Error('The token signature is invalid.'), {
      code: 'FAST_JWT_INVALID_SIGNATURE',
    });
    expect(accessTokenErrorOf(forged)).toMatchObject({
      reason: 'invalid',
      message: 'The access token is invalid: The token signature is invalid.',
    });
    expect(accessTokenErrorOf(new TypeError('boom'))).toBeUndefined();
    expect(accessTokenErrorOf(null)).toBeUndefined();
  });
});
