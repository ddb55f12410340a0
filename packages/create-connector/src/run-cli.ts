import { relative } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { AUTH_KINDS, assertAuthKind, assertConnectorKey, titleOf } from './connector-names.js';
import { type ScaffoldOptions, type ScaffoldResult, scaffoldConnector } from './scaffold.js';
import { ScaffoldError } from './scaffold-error.js';

export const USAGE = `Usage: pnpm create-connector <key> [--name "Acme"] [--auth ${AUTH_KINDS.join('|')}] [--dir packages]
                             [--package @scope/name]

Writes a connector package that builds and passes its tests at once: manifest, definition with an api
descriptor and one action, a fake provider, tests on the SDK's conformance kit, README, changeset.

  <key>        connector key: lowercase letters, digits and "-", starting with a letter (acme, acme-crm)
  --name       the name people see (default: the key in title case)
  --auth       how users authenticate (default oauth2)
  --dir        the folder to create connector-<key> in (default: packages/ of this repository)
  --package    the npm package name (default @cfm/connector-<key>)

Run in a terminal without <key>, --name or --auth, it asks for them.`;

export interface CliStreams {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

interface Answers {
  key?: string | undefined;
  name?: string | undefined;
  auth?: string | undefined;
}

/** Asks for what the flags left out, re-asking until a key and an auth kind are valid. */
async function prompt(streams: CliStreams, given: Answers): Promise<Answers> {
  const readline = createInterface({ input: streams.stdin, output: streams.stdout });
  try {
    let key = given.key;
    while (key === undefined) {
      const answer = (await readline.question('Connector key (for example acme): ')).trim();
      try {
        assertConnectorKey(answer);
        key = answer;
      } catch (error) {
        streams.stderr.write(`${(error as Error).message}\n`);
      }
    }
    const name =
      given.name ?? ((await readline.question(`Name people see (${titleOf(key)}): `)).trim() || titleOf(key));
    let auth = given.auth;
    while (auth === undefined) {
      const answer = (await readline.question(`Authentication, ${AUTH_KINDS.join(' | ')} (oauth2): `)).trim();
      try {
        assertAuthKind(answer || 'oauth2');
        auth = answer || 'oauth2';
      } catch (error) {
        streams.stderr.write(`${(error as Error).message}\n`);
      }
    }
    return { key, name, auth };
  } finally {
    readline.close();
  }
}

/** Relative to `cwd` when inside it, absolute otherwise. */
function shown(path: string, cwd: string): string {
  const inside = relative(cwd, path);
  return inside === '' ? '.' : inside.startsWith('..') ? path : inside;
}

function nextSteps(result: ScaffoldResult, cwd: string): string {
  const folder = shown(result.directory, cwd);
  const name = result.names.packageName;
  const lines = [
    `Created ${folder} (${name}, ${result.auth}): ${result.files.length} files.`,
    ...(result.changeset === undefined ? [] : [`Added the changeset ${shown(result.changeset, cwd)}.`]),
    ...result.warnings.map((warning) => `warning: ${warning}`),
    '',
    'Next:',
  ];
  if (result.layout === 'workspace') {
    lines.push(
      '  pnpm install                      # links it into the workspace (works offline)',
      `  pnpm --filter ${name} run build`,
      `  pnpm --filter ${name} test`,
    );
  } else {
    lines.push(`  cd ${folder}`, '  pnpm install', '  pnpm run build && pnpm test');
  }
  lines.push(
    `  then make it real: ${folder}/README.md ("Make it real") and docs/authoring-connectors.md`,
    '',
  );
  return lines.join('\n');
}

/**
 * The `create-connector` command: parses flags, asks for missing values in a terminal, scaffolds, and prints
 * what it wrote and what to run next. Returns the exit code (0 written, 1 refused, 2 bad usage).
 */
export async function runCli(argv: readonly string[], streams: CliStreams): Promise<number> {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (error) {
    streams.stderr.write(`create-connector: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    streams.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) {
    streams.stderr.write(`create-connector: one key at a time (got ${positionals.join(', ')})\n\n${USAGE}\n`);
    return 2;
  }
  let answers: Answers = { key: positionals[0], name: values.name, auth: values.auth };
  const complete = answers.key !== undefined && answers.name !== undefined && answers.auth !== undefined;
  if (!complete && streams.stdin.isTTY === true) {
    answers = await prompt(streams, answers);
  } else if (answers.key === undefined) {
    streams.stderr.write(`create-connector: the connector key is missing\n\n${USAGE}\n`);
    return 2;
  }
  const options: ScaffoldOptions = {
    key: answers.key as string,
    displayName: answers.name,
    auth: answers.auth,
    directory: values.dir,
    packageName: values.package,
    cwd: streams.cwd,
  };
  try {
    const result = await scaffoldConnector(options);
    streams.stdout.write(nextSteps(result, streams.cwd));
    return 0;
  } catch (error) {
    if (error instanceof ScaffoldError) {
      streams.stderr.write(`create-connector: ${error.message}\nNothing was written.\n`);
      return 1;
    }
    throw error;
  }
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      auth: { type: 'string' },
      dir: { type: 'string' },
      package: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
