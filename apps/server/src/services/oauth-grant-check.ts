import type { OAuth2AuthDescriptor, OAuth2Credentials } from '@cfm/connector-sdk';

/** The OpenID Connect scope that asks for a refresh token; providers often leave it out of `scope`. */
const OFFLINE_ACCESS = 'offline_access';
/** The reason given when a refresh token was expected and none came (also how a later check recognises it). */
export const NO_REFRESH_TOKEN_REASON =
  'The provider granted no refresh token; reconnect and allow offline access.';
/** Scope names in a status reason: enough to act on, bounded so a long list cannot flood a page. */
const LISTED_SCOPES = 20;

/**
 * Google answers the OpenID short names with its own URLs: the same grant, not a missing scope.
 * (Any other provider that answers a scope as `https://…/<name>` is matched by the last path segment.)
 */
const EQUIVALENT_SCOPES: Readonly<Record<string, readonly string[]>> = {
  email: ['https://www.googleapis.com/auth/userinfo.email'],
  profile: ['https://www.googleapis.com/auth/userinfo.profile'],
};

/** What a completed exchange amounts to, before anything is stored. */
export interface GrantAssessment {
  /** `error` when the grant lacks something the connector cannot work without. */
  status: 'active' | 'error';
  /** The connection's `status_reason`: why it is `error`, or the warning of an `active` one; else null. */
  reason: string | null;
  /** Optional scopes asked for and not granted (the connection works without them). */
  warnings: string[];
  /** What to record on the connection: the granted scopes, else (RFC 6749 §5.1) the requested ones. */
  scopes: string[] | null;
}

export interface GrantCheckInput {
  descriptor: Pick<OAuth2AuthDescriptor, 'scopes' | 'refreshUrl'>;
  /** The scopes the authorization URL asked for (after connector hooks), or null when it sent none. */
  requested: readonly string[] | null;
  credentials: OAuth2Credentials;
}

/** The scopes of an authorization URL's `scope` parameter, split the way the descriptor joined them. */
export function requestedScopesOf(authorizationUrl: string, separator: ' ' | ',' = ' '): string[] | null {
  const scope = new URL(authorizationUrl).searchParams.get('scope');
  if (scope === null) return null;
  const scopes = scope.split(separator).filter((item) => item !== '');
  return scopes.length > 0 ? scopes : null;
}

function isGranted(scope: string, granted: ReadonlySet<string>): boolean {
  const wanted = scope.toLowerCase();
  if (granted.has(wanted)) return true;
  for (const alias of EQUIVALENT_SCOPES[wanted] ?? []) if (granted.has(alias)) return true;
  for (const item of granted) {
    if (/^https?:\/\//.test(item) && item.endsWith(`/${wanted}`)) return true;
  }
  return false;
}

function listed(scopes: readonly string[]): string {
  const shown = scopes.slice(0, LISTED_SCOPES).join(', ');
  return scopes.length > LISTED_SCOPES ? `${shown} and ${scopes.length - LISTED_SCOPES} more` : shown;
}

function missingScopesReason(scopes: readonly string[]): string {
  return `The provider did not grant the required scopes ${listed(scopes)}: reconnect and allow every permission the connector asks for.`;
}

/**
 * Compares a grant with what the connector asked for:
 * - a required scope that was requested and is missing from the provider's `scope` answer → `error`;
 * - an optional scope (requested, not required) missing → `active` with a warning;
 * - no refresh token although one was asked for (`offline_access` requested) or the descriptor refreshes
 *   (`refreshUrl`) → `error`. Connectors that request neither (Slack without token rotation, Notion)
 *   treat a refresh token as optional.
 * A provider that omits `scope` granted what was requested (RFC 6749 §5.1): nothing to compare.
 * `offline_access` itself is judged by the refresh token, since providers rarely repeat it in `scope`.
 */
export function assessGrant(input: GrantCheckInput): GrantAssessment {
  const { descriptor, credentials } = input;
  const requested = input.requested ?? [];
  const reported = credentials.scopes;
  const scopes = reported ?? (input.requested === null ? null : [...requested]);
  const problems: string[] = [];
  const warnings: string[] = [];
  if (reported !== undefined) {
    const granted = new Set(reported.map((scope) => scope.toLowerCase()));
    const required = new Set(descriptor.scopes.required);
    const missing = requested.filter((scope) => scope !== OFFLINE_ACCESS && !isGranted(scope, granted));
    const missingRequired = missing.filter((scope) => required.has(scope));
    const missingOptional = missing.filter((scope) => !required.has(scope));
    if (missingRequired.length > 0) problems.push(missingScopesReason(missingRequired));
    if (missingOptional.length > 0) {
      warnings.push(
        `Connected without the optional scopes ${listed(missingOptional)}: features that need them will not work.`,
      );
    }
  }
  const refreshExpected = requested.includes(OFFLINE_ACCESS) || descriptor.refreshUrl !== undefined;
  if (refreshExpected && !credentials.refreshToken) {
    problems.push(NO_REFRESH_TOKEN_REASON);
  }
  if (problems.length > 0) {
    return { status: 'error', reason: problems.join(' '), warnings, scopes };
  }
  return { status: 'active', reason: warnings.length > 0 ? warnings.join(' ') : null, warnings, scopes };
}

export interface StoredGrantInput {
  descriptor: Pick<OAuth2AuthDescriptor, 'scopes' | 'refreshUrl'>;
  /** The connection's recorded scopes (what was granted, or requested when the provider did not say). */
  scopes: readonly string[] | null;
  /** Whether the credentials hold a refresh token now. */
  hasRefreshToken: boolean;
  /** The connection's current `status_reason`: tells that `offline_access` was asked for. */
  statusReason: string | null;
}

/**
 * What a stored grant still lacks, judged without the authorization that produced it (the connection
 * tester, when a check passes on a connection in `error`): a required scope missing from the recorded
 * scopes, or no refresh token where the descriptor refreshes, requires `offline_access`, or the grant
 * check already found it missing. Null when nothing is missing. Only a reconnect changes what was granted.
 */
export function storedGrantProblem(input: StoredGrantInput): string | null {
  const problems: string[] = [];
  if (input.scopes !== null) {
    const granted = new Set(input.scopes.map((scope) => scope.toLowerCase()));
    const missing = input.descriptor.scopes.required.filter(
      (scope) => scope !== OFFLINE_ACCESS && !isGranted(scope, granted),
    );
    if (missing.length > 0) problems.push(missingScopesReason(missing));
  }
  const refreshExpected =
    input.descriptor.refreshUrl !== undefined ||
    input.descriptor.scopes.required.includes(OFFLINE_ACCESS) ||
    (input.statusReason?.includes(NO_REFRESH_TOKEN_REASON) ?? false);
  if (refreshExpected && !input.hasRefreshToken) problems.push(NO_REFRESH_TOKEN_REASON);
  return problems.length > 0 ? problems.join(' ') : null;
}
