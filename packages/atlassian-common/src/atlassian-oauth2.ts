import type { OAuth2AuthDescriptor, OAuth2Hooks } from '@cfm/connector-sdk';
import type { AtlassianConfig } from './atlassian-config.js';

const OFFLINE_ACCESS = 'offline_access';

/**
 * Atlassian OAuth 2.0 (3LO): JSON token bodies, client secret in the body, no PKCE, no revoke endpoint.
 * `offline_access` is appended to the product's scopes (without it Atlassian issues no refresh token).
 * `optionalScopes` are the ones a deployment may add (a write scope that only some actions need).
 *
 * @example
 * ```ts
 * defineConnector({
 *   …,
 *   auth: [atlassianOAuth2(['read:jira-work'], ['write:jira-work'])],
 *   oauth2: atlassianOAuth2Hooks,
 * });
 * ```
 */
export function atlassianOAuth2(
  productScopes: string[],
  optionalScopes: string[] = [],
): OAuth2AuthDescriptor {
  return {
    type: 'oauth2',
    authorizeUrl: 'https://auth.atlassian.com/authorize',
    tokenUrl: 'https://auth.atlassian.com/oauth/token',
    scopes: {
      required: [...productScopes, OFFLINE_ACCESS],
      ...(optionalScopes.length > 0 && { optional: [...optionalScopes] }),
    },
    scopeSeparator: ' ',
    pkce: 'off',
    clientAuth: 'body',
    tokenRequestFormat: 'json',
    extraAuthorizeParams: { audience: 'api.atlassian.com', prompt: 'consent' },
  };
}

/**
 * `offline_access` is never dropped, even when a deployment narrows the scopes. A 403 `invalid_grant`
 * from the token endpoint already maps to reason `auth` in the SDK, so exchange and refresh stay generic.
 */
export const atlassianOAuth2Hooks: OAuth2Hooks<AtlassianConfig> = {
  buildAuthorizeUrl(input, _ctx, next) {
    const scopes = input.scopes.includes(OFFLINE_ACCESS) ? input.scopes : [...input.scopes, OFFLINE_ACCESS];
    return next({ ...input, scopes });
  },
};
