import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliStreams, runCli } from './run-cli.js';
import { makeTempFolder } from './test/temp-folders.js';

/** `answers` are typed one at a time, each when a question (a line ending in ": ") appears, as a person would. */
function streams(cwd: string, options: { tty?: boolean; answers?: string[] } = {}) {
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  const answers = [...(options.answers ?? [])];
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.endsWith(': ') && answers.length > 0) stdin.write(`${answers.shift()}\n`);
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const io: CliStreams = { stdin, stdout, stderr, cwd };
  return { io, out: () => out, err: () => err };
}

describe('create-connector command', () => {
  const folder = makeTempFolder();
  afterAll(() => folder.remove());

  it('without a key and without a terminal: usage on stderr, exit 2', async () => {
    const run = streams(folder.path);
    expect(await runCli([], run.io)).toBe(2);
    expect(run.err()).toContain('the connector key is missing');
    expect(run.err()).toContain('Usage: pnpm create-connector <key>');
  });

  it('an unknown flag is bad usage', async () => {
    const run = streams(folder.path);
    expect(await runCli(['acme', '--oidc'], run.io)).toBe(2);
    expect(run.err()).toContain("Unknown option '--oidc'");
  });

  it('a refusal exits 1 and says nothing was written', async () => {
    const run = streams(folder.path);
    expect(await runCli(['Not_A_Key', '--dir', '.'], run.io)).toBe(1);
    expect(run.err()).toMatch(/"Not_A_Key" is not a valid connector key.*\nNothing was written\.\n$/s);
  });

  it('with flags, writes the package without asking and prints what to run next', async () => {
    const run = streams(folder.path, { tty: true });
    expect(await runCli(['acme', '--name', 'Acme', '--auth', 'api_key', '--dir', 'out'], run.io)).toBe(0);
    expect(run.out()).toContain('Created out/connector-acme (@cfm/connector-acme, api_key)');
    expect(run.out()).toContain('pnpm run build && pnpm test');
    expect(run.out()).not.toContain('Connector key');
    expect(existsSync(join(folder.path, 'out', 'connector-acme', 'src', 'acme-connector.ts'))).toBe(true);
  });

  it('in a terminal, asks for what is missing and asks again after a bad answer', async () => {
    const run = streams(folder.path, {
      tty: true,
      answers: ['Bad Key', 'asked', 'Asked Inc', 'saml', 'basic'],
    });
    expect(await runCli(['--dir', 'out'], run.io)).toBe(0);
    expect(run.err()).toContain('"Bad Key" is not a valid connector key');
    expect(run.err()).toContain('--auth must be one of oauth2, api_key, basic (got "saml")');
    const source = readFileSync(
      join(folder.path, 'out', 'connector-asked', 'src', 'asked-connector.ts'),
      'utf8',
    );
    expect(source).toContain("name: 'Asked Inc'");
    expect(source).toContain("type: 'basic'");
  });
});
