import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { associatedData, CredentialsVault, VaultError } from './credentials-vault.js';

const keyA = { id: 'a', key: randomBytes(32) };
const keyB = { id: 'b', key: randomBytes(32) };

describe('CredentialsVault', () => {
  it('round-trips and never shows the plaintext in the ciphertext', () => {
    const vault = new CredentialsVault([keyA]);
    const secret = 'xoxb-very-secret-token-value';
    const sealed = vault.seal(secret, associatedData.credentials('c1'));
    expect(sealed.keyId).toBe('a');
    expect(sealed.ciphertext).not.toContain(secret);
    expect(sealed.ciphertext).not.toContain(Buffer.from(secret).toString('base64'));
    expect(vault.open(sealed, associatedData.credentials('c1'))).toBe(secret);
  });

  it('uses a fresh IV every time', () => {
    const vault = new CredentialsVault([keyA]);
    const one = vault.seal('same', 'x');
    const two = vault.seal('same', 'x');
    expect(one.ciphertext).not.toBe(two.ciphertext);
  });

  it('refuses a ciphertext moved to another row', () => {
    const vault = new CredentialsVault([keyA]);
    const sealed = vault.seal('token', associatedData.credentials('c1'));
    expect(() => vault.open(sealed, associatedData.credentials('c2'))).toThrow(VaultError);
  });

  it('refuses a tampered ciphertext', () => {
    const vault = new CredentialsVault([keyA]);
    const sealed = vault.seal('token', 'x');
    const parts = sealed.ciphertext.split('.');
    const body = Buffer.from(parts[3] as string, 'base64url');
    body[0] = (body[0] as number) ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => vault.open({ ...sealed, ciphertext: parts.join('.') }, 'x')).toThrow(
      'failed authentication',
    );
  });

  it('decrypts records under an older key and encrypts under the first one', () => {
    const old = new CredentialsVault([keyB]);
    const sealed = old.seal('token', 'x');
    const rotated = new CredentialsVault([keyA, keyB]);
    expect(rotated.needsRotation(sealed)).toBe(true);
    expect(rotated.open(sealed, 'x')).toBe('token');
    const resealed = rotated.seal('token', 'x');
    expect(resealed.keyId).toBe('a');
    expect(rotated.needsRotation(resealed)).toBe(false);
  });

  it('names a missing key id without revealing anything else', () => {
    const vault = new CredentialsVault([keyA]);
    expect(() => vault.open({ ciphertext: 'v1.a.b.c', keyId: 'gone' }, 'x')).toThrow(
      'no encryption key with id "gone"',
    );
  });

  it('rejects keys that are not 32 bytes and duplicate ids', () => {
    expect(() => new CredentialsVault([{ id: 'short', key: randomBytes(16) }])).toThrow('32 bytes');
    expect(() => new CredentialsVault([keyA, keyA])).toThrow('used twice');
    expect(() => new CredentialsVault([])).toThrow('at least one');
  });
});
