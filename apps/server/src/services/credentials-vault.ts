import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** One AES-256 key with the id stored beside every ciphertext it produced. */
export interface VaultKey {
  id: string;
  key: Uint8Array;
}

export interface Sealed {
  ciphertext: string;
  keyId: string;
}

/** Thrown when a ciphertext cannot be opened: wrong key, tampered, or bound to another record. */
export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultError';
  }
}

const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with a random 96-bit IV per record and associated data that binds a ciphertext to the
 * row it belongs to (`credentials:<connection id>`): a ciphertext copied to another row fails to open.
 * The first key encrypts; every key decrypts, which is what lets `db:rotate-keys` move records over.
 */
export class CredentialsVault {
  readonly #keys: Map<string, Buffer>;
  readonly activeKeyId: string;

  constructor(keys: ReadonlyArray<VaultKey>) {
    const first = keys[0];
    if (!first) throw new VaultError('at least one encryption key is required');
    this.#keys = new Map();
    for (const { id, key } of keys) {
      if (key.byteLength !== 32) throw new VaultError(`encryption key "${id}" must be 32 bytes`);
      if (this.#keys.has(id)) throw new VaultError(`encryption key id "${id}" is used twice`);
      this.#keys.set(id, Buffer.from(key));
    }
    this.activeKeyId = first.id;
  }

  hasKey(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  seal(plaintext: string, associatedData: string): Sealed {
    const key = this.#keys.get(this.activeKeyId) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    const ciphertext = [
      FORMAT,
      iv.toString('base64url'),
      tag.toString('base64url'),
      body.toString('base64url'),
    ].join('.');
    return { ciphertext, keyId: this.activeKeyId };
  }

  open(sealed: Sealed, associatedData: string): string {
    const key = this.#keys.get(sealed.keyId);
    if (!key) throw new VaultError(`no encryption key with id "${sealed.keyId}" is configured`);
    const parts = sealed.ciphertext.split('.');
    if (parts.length !== 4 || parts[0] !== FORMAT)
      throw new VaultError('ciphertext is not in a known format');
    const [, iv, tag, body] = parts as [string, string, string, string];
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      // GCM gives one answer for every failure on purpose; so do we (no oracle on which part was wrong).
      throw new VaultError('ciphertext failed authentication');
    }
  }

  sealJson(value: unknown, associatedData: string): Sealed {
    return this.seal(JSON.stringify(value), associatedData);
  }

  openJson<T>(sealed: Sealed, associatedData: string): T {
    return JSON.parse(this.open(sealed, associatedData)) as T;
  }

  /** True when the record is not under the active key and should be re-encrypted. */
  needsRotation(sealed: Sealed): boolean {
    return sealed.keyId !== this.activeKeyId;
  }
}

/** Associated data for each kind of sealed record: the row a ciphertext belongs to. */
export const associatedData = {
  credentials: (connectionId: string) => `credentials:${connectionId}`,
  connectorSecret: (connectorId: string) => `connector-secret:${connectorId}`,
  oauthVerifier: (stateId: string) => `oauth-state:${stateId}`,
};
