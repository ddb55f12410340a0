import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { compareThroughput } from './lib/measure.mjs';
import { importBuilt } from './lib/paths.mjs';

/** What a real OAuth 2 credentials object looks like once sealed: two long tokens and a few facts (~1 KB). */
export function realisticCredentials() {
  const token = (bytes) => randomBytes(bytes).toString('base64url');
  return {
    type: 'oauth2',
    // A JWT-shaped access token (header.payload.signature), as Atlassian and Google hand out.
    accessToken: `eyJhbGciOiJSUzI1NiJ9.${token(420)}.${token(128)}`,
    refreshToken: token(160),
    tokenType: 'Bearer',
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    scopes: ['read:jira-work', 'read:jira-user', 'offline_access', 'read:confluence-content.summary'],
    extra: { id_token_hint: token(24) },
  };
}

/**
 * `CredentialsVault.sealJson` + `openJson` (JSON, AES-256-GCM with associated data, the `v1.iv.tag.body`
 * text format) against the floor: raw `node:crypto` AES-256-GCM encrypt + decrypt of the same bytes.
 */
export async function run(settings) {
  const { CredentialsVault, associatedData } = await importBuilt(
    'apps/server/dist/services/credentials-vault.js',
  );
  const key = randomBytes(32);
  const vault = new CredentialsVault([{ id: 'k1', key }]);
  const credentials = realisticCredentials();
  const plaintext = Buffer.from(JSON.stringify(credentials), 'utf8');
  const aad = associatedData.credentials('5b1f6f0e-8a55-4d4e-9d8e-2a4b1b0c9f11');
  const aadBytes = Buffer.from(aad, 'utf8');

  const opened = vault.openJson(vault.sealJson(credentials, aad), aad);
  if (opened.accessToken !== credentials.accessToken)
    throw new Error('vault round trip changed the credentials');

  const ours = () => vault.openJson(vault.sealJson(credentials, aad), aad);
  const baseline = () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    cipher.setAAD(aadBytes);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const tag = cipher.getAuthTag();
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    decipher.setAAD(aadBytes);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  };

  const result = await compareThroughput({ ours, baseline, settings });
  return [
    {
      benchmark: 'vault',
      variant: `${plaintext.byteLength} B`,
      labels: { ours: 'sealJson + openJson', baseline: 'raw AES-256-GCM encrypt + decrypt' },
      ...result,
    },
  ];
}
