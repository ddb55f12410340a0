import type { TokenResponseInput, TokenSet } from '@cfm/connector-sdk';
import { ConnectorError } from '@cfm/connector-sdk';

type JsonRecord = Record<string, unknown>;

function record(value: unknown): JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The non-secret facts of a Notion token answer (workspace, bot, owner), skipping absent ones. */
export function notionTokenMetadata(body: JsonRecord): JsonRecord {
  const owner = record(body['owner']);
  const ownerUser = record(owner['user']);
  const facts: JsonRecord = {
    botId: text(body['bot_id']),
    workspaceId: text(body['workspace_id']),
    workspaceName: text(body['workspace_name']),
    // An emoji or an image URL.
    workspaceIcon: text(body['workspace_icon']),
    ownerType: text(owner['type']),
    ownerUserId: text(ownerUser['id']),
    ownerUserName: text(ownerUser['name']),
    ownerUserEmail: text(record(ownerUser['person'])['email']),
    duplicatedTemplateId: text(body['duplicated_template_id']),
    // `request_id` is left out: it names one HTTP exchange, not a fact about the connection.
  };
  return Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined));
}

/**
 * Notion's token answer is RFC 6749 plus workspace facts, with no `expires_in`: access tokens do not
 * expire, refresh tokens rotate. The generic parser reads the tokens and maps OAuth errors
 * (`invalid_grant` → auth); this adds the metadata.
 */
export function parseNotionTokenResponse(
  input: TokenResponseInput,
  next: (input: TokenResponseInput) => TokenSet,
): TokenSet {
  const parsed = next(input);
  if (input.status < 200 || input.status >= 300) {
    // The SDK parser throws for these; this guards against a parser that let one through.
    throw new ConnectorError(`Notion token endpoint answered HTTP ${input.status}`, {
      reason: input.status === 400 || input.status === 401 ? 'auth' : 'provider',
      status: input.status,
    });
  }
  const body = record(input.body);
  const credentials = { ...parsed.credentials };
  if (typeof body['expires_in'] !== 'number') credentials.expiresAt = null;
  // The generic parser's metadata repeats these fields in snake_case: only the curated set is kept.
  return { credentials, metadata: notionTokenMetadata(body) };
}
