import { createDatabase } from '@cfm/db';
import { loadConfig } from '../config.js';
import { CredentialsVault } from '../services/credentials-vault.js';
import { rotateKeys } from '../services/key-rotation.js';
import { failOn } from './exit-with.js';

/**
 * `pnpm db:rotate-keys`: re-encrypts every sealed value under the first key of ENCRYPTION_KEYS.
 * Safe to interrupt and run again. Old keys can be removed once a run reports 0 failed.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const vault = new CredentialsVault(config.encryptionKeys);
  const handle = createDatabase(config.databaseUrl, { namedStatements: config.databaseNamedStatements });
  try {
    const result = await rotateKeys(handle.db, vault);
    const lines = [
      `Active key: ${result.activeKeyId}`,
      `credentials: ${result.credentials.rotated} re-encrypted, ${result.credentials.failed} unreadable`,
      `connector client secrets: ${result.connectorSecrets.rotated} re-encrypted, ${result.connectorSecrets.failed} unreadable`,
      `oauth state verifiers: ${result.oauthStates.rotated} re-encrypted, ${result.oauthStates.failed} unreadable`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const failed = result.credentials.failed + result.connectorSecrets.failed + result.oauthStates.failed;
    if (failed > 0) {
      process.stderr.write(
        `${failed} value(s) could not be opened with the configured keys; keep the old keys until they are fixed.\n`,
      );
      process.exitCode = 1;
    } else {
      process.stdout.write('Every value is under the active key: older keys can be removed.\n');
    }
  } finally {
    await handle.close();
  }
}

main().catch(failOn);
