import type { JsonObject, OAuthStateRow } from '@cfm/db';
import type { Executor } from './credential-store.js';
import { associatedData, type CredentialsVault } from './credentials-vault.js';
import type { OAuthBrowserBinding } from './oauth-browser-binding.js';
import type { OAuthStateSigner } from './oauth-state-token.js';
import { ServiceError } from './service-error.js';

/**
 * Unused pending authorizations kept per user and connector; starting one more drops the oldest. Enough
 * for a user with several tabs, bounded against a script calling authorize in a loop.
 */
export const MAX_PENDING_AUTHORIZATIONS = 20;

export interface PendingAuthorization {
  userId: string;
  connectorId: string;
  connectionId: string | null;
  redirectUri: string;
  /** PKCE verifier; sealed before it is stored, never returned to a caller. */
  codeVerifier: string | null;
  config: JsonObject | null;
  /** The scopes the authorization URL asked for; null when it sent no `scope`. */
  requestedScopes: string[] | null;
}

/** A state token issued but not yet stored (the authorization URL is built with it in between). */
export interface IssuedState {
  token: string;
  nonce: string;
  expiresAt: Date;
}

/** What the unauthenticated GET callback must prove before a state is spent. */
export interface BrowserProof {
  /** The redirect URI the GET callback answers at; null when it answers at none (the default setup). */
  redirectUri: string | null;
  /** The request's cookies. */
  cookies: Readonly<Record<string, string>>;
}

export interface ClaimedState {
  record: OAuthStateRow;
  codeVerifier: string | null;
}

/** The server-side half of `state`: one `oauth_states` row per authorization attempt, usable once. */
export class OAuthStateStore {
  readonly #signer: OAuthStateSigner;
  readonly #vault: CredentialsVault;
  readonly #binding: OAuthBrowserBinding;

  constructor(signer: OAuthStateSigner, vault: CredentialsVault, binding: OAuthBrowserBinding) {
    this.#signer = signer;
    this.#vault = vault;
    this.#binding = binding;
  }

  /** A new signed state; {@link save} stores its record. */
  issue(now: Date): IssuedState {
    return this.#signer.issue(now);
  }

  /**
   * Stores the pending record of `issued`, then drops the user's oldest unused records for the same
   * connector beyond {@link MAX_PENDING_AUTHORIZATIONS}.
   */
  async save(
    executor: Executor,
    issued: IssuedState,
    pending: PendingAuthorization,
    now: Date,
  ): Promise<void> {
    const sealed =
      pending.codeVerifier === null
        ? null
        : this.#vault.seal(pending.codeVerifier, associatedData.oauthVerifier(issued.nonce));
    await executor
      .insertInto('oauth_states')
      .values({
        id: issued.nonce,
        user_id: pending.userId,
        connector_id: pending.connectorId,
        connection_id: pending.connectionId,
        redirect_uri: pending.redirectUri,
        code_verifier_ciphertext: sealed?.ciphertext ?? null,
        key_id: sealed?.keyId ?? null,
        config: pending.config,
        requested_scopes: pending.requestedScopes === null ? null : pending.requestedScopes.join(' '),
        expires_at: issued.expiresAt,
        created_at: now,
      })
      .execute();
    const unused = (builder: Executor) =>
      builder
        .selectFrom('oauth_states')
        .select('id')
        .where('user_id', '=', pending.userId)
        .where('connector_id', '=', pending.connectorId)
        .where('consumed_at', 'is', null);
    // One statement: whichever concurrent call runs it last sees every insert before it, so the cap holds.
    await executor
      .deleteFrom('oauth_states')
      .where('user_id', '=', pending.userId)
      .where('connector_id', '=', pending.connectorId)
      .where('consumed_at', 'is', null)
      .where(
        'id',
        'not in',
        unused(executor)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(MAX_PENDING_AUTHORIZATIONS),
      )
      .execute();
  }

  /** The binding cookie the starting browser gets for `issued`. */
  browserCookie(issued: IssuedState, now: Date) {
    return this.#binding.cookieFor(issued.nonce, issued.expiresAt, now);
  }

  /**
   * Verifies the token and takes the record for exactly one caller. Checks, in order: signature
   * (`CFM_OAUTH_STATE_INVALID`), expiry (`…_EXPIRED`), the caller (`…_FOREIGN`) and connector (`…_MISMATCH`),
   * and for the GET callback (`browser`) the redirect URI (`CFM_OAUTH_REDIRECT_MISMATCH`) and the binding
   * cookie (`CFM_OAUTH_BROWSER_MISMATCH`), all before spending it (so a stranger holding the URL cannot
   * burn someone else's attempt), then the atomic `UPDATE … WHERE consumed_at IS NULL`: whoever updates
   * zero rows gets `CFM_OAUTH_STATE_USED`.
   */
  async claim(
    executor: Executor,
    input: { token: string; userId: string | null; connectorId: string | null; browser?: BrowserProof },
    now: Date,
  ): Promise<ClaimedState> {
    const verification = this.#signer.verify(input.token, now);
    if (!verification.ok) {
      if (verification.reason === 'expired') {
        throw new ServiceError('CFM_OAUTH_STATE_EXPIRED', 'The authorization attempt expired: start again');
      }
      throw new ServiceError('CFM_OAUTH_STATE_INVALID', 'The state parameter is not valid');
    }
    const record = await executor
      .selectFrom('oauth_states')
      .selectAll()
      .where('id', '=', verification.nonce)
      .executeTakeFirst();
    if (!record) throw new ServiceError('CFM_OAUTH_STATE_INVALID', 'The state parameter is not valid');
    if (record.consumed_at !== null) {
      throw new ServiceError(
        'CFM_OAUTH_STATE_USED',
        'This authorization attempt was already used: start again',
      );
    }
    if (input.userId !== null && record.user_id !== input.userId) {
      throw new ServiceError(
        'CFM_OAUTH_STATE_FOREIGN',
        'This authorization attempt was started by another user',
      );
    }
    if (input.connectorId !== null && record.connector_id !== input.connectorId) {
      throw new ServiceError(
        'CFM_OAUTH_STATE_MISMATCH',
        'This authorization attempt is for another connector',
      );
    }
    if (input.browser !== undefined) this.#checkBrowser(record, input.browser);
    const result = await executor
      .updateTable('oauth_states')
      .set({ consumed_at: now })
      .where('id', '=', record.id)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new ServiceError(
        'CFM_OAUTH_STATE_USED',
        'This authorization attempt was already used: start again',
      );
    }
    const codeVerifier =
      record.code_verifier_ciphertext === null || record.key_id === null
        ? null
        : this.#vault.open(
            { ciphertext: record.code_verifier_ciphertext, keyId: record.key_id },
            associatedData.oauthVerifier(record.id),
          );
    return { record: { ...record, consumed_at: now }, codeVerifier };
  }

  #checkBrowser(record: OAuthStateRow, browser: BrowserProof): void {
    if (browser.redirectUri === null || record.redirect_uri !== browser.redirectUri) {
      throw new ServiceError(
        'CFM_OAUTH_REDIRECT_MISMATCH',
        'This authorization attempt was started for another callback: finish it where it was started',
      );
    }
    if (!this.#binding.matches(record.id, browser.cookies)) {
      throw new ServiceError(
        'CFM_OAUTH_BROWSER_MISMATCH',
        'This authorization attempt was started in another browser: start again from this one',
      );
    }
  }
}
