import { describe, expect, it } from 'vitest';
import { assessGrant, requestedScopesOf } from './oauth-grant-check.js';

const descriptor = { scopes: { required: ['read', 'write'], optional: ['admin'] } };
const credentials = (scopes?: string[], refreshToken?: string) => ({
  type: 'oauth2' as const,
  accessToken: 'at',
  ...(scopes !== undefined && { scopes }),
  ...(refreshToken !== undefined && { refreshToken }),
});

describe('assessGrant', () => {
  it('everything granted: active, no reason, the granted scopes recorded', () => {
    expect(
      assessGrant({
        descriptor,
        requested: ['read', 'write'],
        credentials: credentials(['write', 'read']),
      }),
    ).toEqual({ status: 'active', reason: null, warnings: [], scopes: ['write', 'read'] });
  });

  it('a required scope missing: error naming it', () => {
    const grant = assessGrant({
      descriptor,
      requested: ['read', 'write'],
      credentials: credentials(['read']),
    });
    expect(grant.status).toBe('error');
    expect(grant.reason).toContain('required scopes write');
    expect(grant.scopes).toEqual(['read']);
  });

  it('an optional scope missing: active with a warning that is also the reason', () => {
    const grant = assessGrant({
      descriptor,
      requested: ['read', 'write', 'admin'],
      credentials: credentials(['read', 'write']),
    });
    expect(grant).toMatchObject({ status: 'active', warnings: [expect.stringContaining('admin')] });
    expect(grant.reason).toBe(grant.warnings[0]);
  });

  it('no `scope` in the answer: granted as requested (RFC 6749 §5.1)', () => {
    expect(assessGrant({ descriptor, requested: ['read', 'write'], credentials: credentials() })).toEqual({
      status: 'active',
      reason: null,
      warnings: [],
      scopes: ['read', 'write'],
    });
  });

  it('required scopes a hook did not request are not held against the grant (Slack user-token only)', () => {
    expect(
      assessGrant({ descriptor, requested: null, credentials: credentials(['users:read']) }).status,
    ).toBe('active');
  });

  it('offline_access: judged by the refresh token, not by `scope`', () => {
    const requested = ['read', 'write', 'offline_access'];
    expect(
      assessGrant({ descriptor, requested, credentials: credentials(['read', 'write'], 'rt') }).status,
    ).toBe('active');
    const without = assessGrant({ descriptor, requested, credentials: credentials(['read', 'write']) });
    expect(without.status).toBe('error');
    expect(without.reason).toBe('The provider granted no refresh token; reconnect and allow offline access.');
  });

  it('a descriptor with a refresh URL needs a refresh token; one without (Slack, Notion) does not', () => {
    const refreshing = { ...descriptor, refreshUrl: 'https://acme.example/token' };
    expect(assessGrant({ descriptor: refreshing, requested: null, credentials: credentials() }).status).toBe(
      'error',
    );
    expect(assessGrant({ descriptor, requested: null, credentials: credentials() }).status).toBe('active');
  });

  it("a provider's URL form of a scope counts as granted (Google's userinfo.email for email)", () => {
    const google = { scopes: { required: ['openid', 'email', 'profile'] } };
    const granted = [
      'openid',
      'https://www.googleapis.com/auth/userinfo.email',
      'https://www.googleapis.com/auth/userinfo.profile',
    ];
    expect(
      assessGrant({
        descriptor: google,
        requested: ['openid', 'email', 'profile'],
        credentials: credentials(granted),
      }).status,
    ).toBe('active');
    const graph = { scopes: { required: ['User.Read'] } };
    expect(
      assessGrant({
        descriptor: graph,
        requested: ['User.Read'],
        credentials: credentials(['https://graph.microsoft.com/user.read']),
      }).status,
    ).toBe('active');
  });
});

describe('requestedScopesOf', () => {
  it('splits the `scope` parameter with the descriptor separator; null without one', () => {
    expect(requestedScopesOf('https://a.example/auth?scope=a+b%20c')).toEqual(['a', 'b', 'c']);
    expect(requestedScopesOf('https://a.example/auth?scope=a,b', ',')).toEqual(['a', 'b']);
    expect(requestedScopesOf('https://a.example/auth?state=x')).toBeNull();
    expect(requestedScopesOf('https://a.example/auth?scope=')).toBeNull();
  });
});
