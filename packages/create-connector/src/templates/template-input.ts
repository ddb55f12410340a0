import type { AuthKind, ConnectorNames } from '../connector-names.js';

/**
 * Where the new package lives: `workspace` inside a pnpm workspace that holds the SDK (this repository: the
 * SDK comes as `workspace:*`, tsconfig extends the shared base, Biome and changesets are the root's), or
 * `standalone` anywhere else (its own tsconfig, Biome config, changesets and tool versions).
 */
export type PackageLayout =
  | {
      kind: 'workspace' /** Relative path from the package to `tsconfig.base.json`, when there is one. */;
      tsconfigBase?: string;
    }
  | { kind: 'standalone' };

/** Everything a template needs: names, auth kind, layout and versions. */
export interface TemplateInput {
  names: ConnectorNames;
  auth: AuthKind;
  layout: PackageLayout;
  /** The SDK version the package is written against: its peer range is `^` this. */
  sdkVersion: string;
  contractVersion: number;
  /** Compiler options of the repository's `tsconfig.base.json`, inlined by standalone packages. */
  compilerOptions: Record<string, unknown>;
  /** Versions of typescript, vitest, @types/node, @biomejs/biome, @changesets/cli (standalone devDependencies). */
  toolVersions: Record<string, string>;
}

/** A TypeScript string literal in the style Biome formats (single quotes unless that needs an escape). */
export function literal(value: string): string {
  if (value.includes("'") && !value.includes('"')) return `"${value}"`;
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** The peer range on the SDK: this minor line for 0.x (`^0.1.0`), this major line after 1.0. */
export function sdkPeerRange(input: TemplateInput): string {
  return `^${input.sdkVersion}`;
}

/** The placeholder origins the generated connector uses until the author puts the real ones in. */
export function providerOrigins(input: TemplateInput): { auth: string; api: string } {
  return { auth: `https://${input.names.key}.example`, api: `https://api.${input.names.key}.example` };
}
