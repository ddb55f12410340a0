import { ScaffoldError } from './scaffold-error.js';

/** The SDK's rule for connector keys (`defineConnector` refuses anything else). */
export const CONNECTOR_KEY_PATTERN = /^[a-z][a-z0-9-]{1,63}$/;

// npm's rule for new package names: lowercase, URL-safe, at most 214 characters, an optional @scope.
const PACKAGE_NAME_PATTERN = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

export const AUTH_KINDS = ['oauth2', 'api_key', 'basic'] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

/** Every spelling of one connector key the generated files need. */
export interface ConnectorNames {
  /** `acme-corp` */
  key: string;
  /** `Acme Corp`: shown to people. */
  displayName: string;
  /** `acmeCorp`: variables and exports (`acmeCorpConnector`). */
  camel: string;
  /** `AcmeCorp`: types (`FakeAcmeCorp`). */
  pascal: string;
  /** `ACME_CORP`: the server reads `ACME_CORP_CLIENT_ID` / `ACME_CORP_CLIENT_SECRET`. */
  envPrefix: string;
  /** `@cfm/connector-acme-corp` unless the author chose another name. */
  packageName: string;
  /** `connector-acme-corp`: the folder. */
  folderName: string;
}

/** Throws a `CFM_SCAFFOLD_BAD_KEY` refusal unless `key` is a valid connector key. */
export function assertConnectorKey(key: string): void {
  if (CONNECTOR_KEY_PATTERN.test(key)) return;
  throw new ScaffoldError(
    'CFM_SCAFFOLD_BAD_KEY',
    `"${key}" is not a valid connector key: use 2 to 64 characters, lowercase letters, digits and "-", ` +
      'starting with a letter (for example "acme" or "acme-crm")',
  );
}

/** Throws a `CFM_SCAFFOLD_BAD_OPTION` refusal unless `name` is a valid new npm package name. */
export function assertPackageName(name: string): void {
  if (name.length <= 214 && PACKAGE_NAME_PATTERN.test(name)) return;
  throw new ScaffoldError(
    'CFM_SCAFFOLD_BAD_OPTION',
    `"${name}" is not a valid npm package name (lowercase, no spaces, optionally @scope/name)`,
  );
}

/** Throws a `CFM_SCAFFOLD_BAD_OPTION` refusal unless `auth` is one the scaffolder writes. */
export function assertAuthKind(auth: string): asserts auth is AuthKind {
  if ((AUTH_KINDS as readonly string[]).includes(auth)) return;
  throw new ScaffoldError(
    'CFM_SCAFFOLD_BAD_OPTION',
    `--auth must be one of ${AUTH_KINDS.join(', ')} (got "${auth}")`,
  );
}

/** `acme-corp` → `Acme Corp`. */
export function titleOf(key: string): string {
  return key
    .split('-')
    .filter((part) => part !== '')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join(' ');
}

/** The names of the package to write for `key`; `displayName` and `packageName` default from the key. */
export function connectorNames(
  key: string,
  options: { displayName?: string | undefined; packageName?: string | undefined } = {},
): ConnectorNames {
  assertConnectorKey(key);
  const parts = key.split('-').filter((part) => part !== '');
  const pascal = parts.map((part) => part[0]!.toUpperCase() + part.slice(1)).join('');
  // A key like `3d-…` cannot happen (keys start with a letter), so `camel` is always an identifier.
  const camel = pascal[0]!.toLowerCase() + pascal.slice(1);
  const displayName = options.displayName?.trim() || titleOf(key);
  // The name lands in string literals, comments and Markdown: keep out what would end or escape them.
  if (/[\r\n`$\\]|\*\//.test(displayName) || displayName.length > 100) {
    throw new ScaffoldError(
      'CFM_SCAFFOLD_BAD_OPTION',
      '--name must be one line of at most 100 characters, without backquotes, "$", "\\" or "*/"',
    );
  }
  const packageName = options.packageName?.trim() || `@cfm/connector-${key}`;
  assertPackageName(packageName);
  return {
    key,
    displayName,
    camel,
    pascal,
    envPrefix: key.toUpperCase().replaceAll('-', '_'),
    packageName,
    folderName: `connector-${key}`,
  };
}
