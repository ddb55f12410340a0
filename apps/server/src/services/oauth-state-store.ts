import type { JsonObject, OAuthStateRow } from '@cfm/db';
import type { Executor } from './credential-store.js';
import { associatedData, type CredentialsVault } from './credentials-vault.js';
import type { OAuthStateSigner } from './oauth-state-token.js';
import { ServiceError } from './service-error.js';

export interface PendingAuthorization {
  userId: string;
  connectorId: string;
  connectionId: string | null;
  redirectUri: string;
  /** PKCE verifier; sealed before it is stored, never returned to a caller. */
  codeVerifier: string | null;
  config: JsonObject | null;
}

export interface ClaimedState {
  record: OAuthStateRow;
  codeVerifier: string | null;
}

/** The server-side half of `state`: one `oauth_states` row per authorization attempt, usable once. */
export class OAuthStateStore {
  readonly #signer: OAuthStateSigner;
  readonly #vault: CredentialsVault;

  constructor(signer: OAuthStateSigner, vault: CredentialsVault) {
    this.#signer = signer;
    this.#vault = vault;
  }

  /** Stores the pending record and returns the signed token to send as `state`. */
  async create(executor: Executor, pending: PendingAuthorization, now: Date): Promise<string> {
    const { token, nonce, expiresAt } = this.#signer.issue(now);
    const sealed =
      pending.codeVerifier === null
        ? null
        : this.#vault.seal(pending.codeVerifier, associatedData.oauthVerifier(nonce));
    await executor
      .insertInto('oauth_states')
      .values({
        id: nonce,
        user_id: pending.userId,
        connector_id: pending.connectorId,
        connection_id: pending.connectionId,
        redirect_uri: pending.redirectUri,
        code_verifier_ciphertext: sealed?.ciphertext ?? null,
        key_id: sealed?.keyId ?? null,
        config: pending.config,
        expires_at: expiresAt,
        created_at: now,
      })
      .execute();
    return token;
  }

  /**
   * Verifies the token and takes the record for exactly one caller. Checks, in order: signature
   * (`CFM_OAUTH_STATE_INVALID`), expiry (`…_EXPIRED`), the caller (`…_FOREIGN`) and connector (`…_MISMATCH`)
   * before spending it (so a stranger holding the URL cannot burn someone else's attempt), then the atomic
   * `UPDATE … WHERE consumed_at IS NULL`: whoever updates zero rows gets `CFM_OAUTH_STATE_USED`.
   */
  async claim(
    executor: Executor,
    input: { token: string; userId: string | null; connectorId: string | null },
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
}
