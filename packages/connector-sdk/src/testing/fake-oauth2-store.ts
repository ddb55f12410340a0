import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FakeTokenRecord } from './fake-oauth2-types.js';

/** What an authorize request asked for; kept until the user decides. */
export interface PendingAuthorization {
  id: string;
  clientId: string;
  redirectUri: string;
  state: string | null;
  scopes: string[];
  codeChallenge: string | null;
}

export interface AuthorizationCode {
  value: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | null;
  callbackParams: Record<string, string>;
  expiresAt: number;
  used: boolean;
  /** Tokens issued from this code, revoked if the code is replayed (RFC 6749 §4.1.2). */
  family: string | null;
}

export interface IssueOptions {
  clientId: string;
  scopes: string[];
  expiresIn: number | null;
  withRefresh: boolean;
  family?: string;
}

export type TokenLookup =
  | { ok: true; record: FakeTokenRecord }
  | { ok: false; reason: 'invalid' | 'expired' | 'revoked' | 'rotated' };

function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}

/** S256: BASE64URL(SHA256(verifier)) (RFC 7636 §4.2). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** In-memory grants, codes and tokens of one fake provider. */
export class FakeTokenStore {
  readonly tokens: FakeTokenRecord[] = [];
  /**
   * The same records by value, so a token request costs one lookup however many tokens were issued (a
   * scan of `tokens` made a benchmark of 10,000 refreshes spend most of its time in the fake).
   */
  private readonly byValue = new Map<string, FakeTokenRecord>();
  private readonly pending = new Map<string, PendingAuthorization>();
  private readonly codes = new Map<string, AuthorizationCode>();

  constructor(
    private readonly accessPrefix: string,
    private readonly refreshPrefix: string,
  ) {}

  addPending(request: Omit<PendingAuthorization, 'id'>): PendingAuthorization {
    const pending = { ...request, id: randomUUID() };
    this.pending.set(pending.id, pending);
    return pending;
  }

  /** A consent decision consumes the pending request, so a form cannot be posted twice. */
  takePending(id: string): PendingAuthorization | undefined {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    return pending;
  }

  createCode(pending: PendingAuthorization, ttlMs: number, callbackParams: Record<string, string>): string {
    const value = randomToken('code_');
    this.codes.set(value, {
      value,
      clientId: pending.clientId,
      redirectUri: pending.redirectUri,
      scopes: pending.scopes,
      codeChallenge: pending.codeChallenge,
      callbackParams,
      expiresAt: Date.now() + ttlMs,
      used: false,
      family: null,
    });
    return value;
  }

  findCode(value: string): AuthorizationCode | undefined {
    return this.codes.get(value);
  }

  issue(options: IssueOptions): { access: FakeTokenRecord; refresh: FakeTokenRecord | null } {
    const family = options.family ?? randomUUID();
    const issuedAt = new Date();
    const access: FakeTokenRecord = {
      kind: 'access',
      value: randomToken(this.accessPrefix),
      scopes: options.scopes,
      clientId: options.clientId,
      family,
      issuedAt,
      expiresAt: options.expiresIn === null ? null : new Date(issuedAt.getTime() + options.expiresIn * 1000),
      state: 'active',
    };
    this.add(access);
    if (!options.withRefresh) return { access, refresh: null };
    const refresh: FakeTokenRecord = {
      kind: 'refresh',
      value: randomToken(this.refreshPrefix),
      scopes: options.scopes,
      clientId: options.clientId,
      family,
      issuedAt,
      expiresAt: null,
      state: 'active',
    };
    this.add(refresh);
    return { access, refresh };
  }

  private add(record: FakeTokenRecord): void {
    this.tokens.push(record);
    this.byValue.set(record.value, record);
  }

  lookup(value: string, kind: FakeTokenRecord['kind']): TokenLookup {
    const record = this.byValue.get(value);
    if (!record || record.kind !== kind) return { ok: false, reason: 'invalid' };
    if (record.state === 'active' && record.expiresAt !== null && record.expiresAt.getTime() <= Date.now()) {
      record.state = 'expired';
    }
    if (record.state !== 'active') return { ok: false, reason: record.state };
    return { ok: true, record };
  }

  findAny(value: string): FakeTokenRecord | undefined {
    return this.byValue.get(value);
  }

  revokeFamily(family: string): void {
    for (const token of this.tokens) {
      if (token.family === family && token.state !== 'revoked') token.state = 'revoked';
    }
  }

  expireAccessTokens(): void {
    for (const token of this.tokens) {
      if (token.kind === 'access' && token.state === 'active') token.state = 'expired';
    }
  }
}
