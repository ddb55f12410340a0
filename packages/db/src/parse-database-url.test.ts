import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseUrlError, parseDatabaseUrl } from './parse-database-url.js';

describe('parseDatabaseUrl', () => {
  it.each([
    ['postgresql://app:secret@db.internal:5432/cfm', 'postgres'],
    ['postgres://app@localhost/cfm', 'postgres'],
    ['postgresql:///cfm?host=/var/run/postgresql', 'postgres'],
  ])('reads %s as PostgreSQL', (url, dialect) => {
    expect(parseDatabaseUrl(url)).toEqual({ dialect, connectionString: url });
  });

  it('resolves a relative SQLite path against the working directory', () => {
    expect(parseDatabaseUrl('sqlite:///./data/cfm.db')).toEqual({
      dialect: 'sqlite',
      filename: resolve(process.cwd(), 'data/cfm.db'),
    });
  });

  it('keeps an absolute SQLite path', () => {
    expect(parseDatabaseUrl('sqlite:////var/lib/cfm/cfm.db')).toEqual({
      dialect: 'sqlite',
      filename: '/var/lib/cfm/cfm.db',
    });
  });

  it('decodes percent-encoded SQLite paths', () => {
    expect(parseDatabaseUrl('sqlite:////tmp/my%20data/cfm.db').filename).toBe('/tmp/my data/cfm.db');
  });

  it('reads the in-memory SQLite form', () => {
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', filename: ':memory:' });
  });

  it.each([
    '',
    '   ',
    'mysql://root:hunter2@db/cfm',
    'hunter2',
    'sqlite:relative.db',
    'sqlite://host/file.db',
    'sqlite:///',
    'sqlite:///data/',
    'sqlite:///cfm.db?mode=ro',
    'sqlite:///%E0%A4%A',
    'postgresql://user:hunter2@',
    'postgresql://user:hunter2@[::1/cfm',
    'postgres://user:hunter2@db:0/cfm',
  ])('rejects %j with a DatabaseUrlError that does not repeat a password', (url) => {
    let thrown: unknown;
    try {
      parseDatabaseUrl(url);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DatabaseUrlError);
    const error = thrown as DatabaseUrlError;
    expect(error.code).toBe('CFM_DB_URL_INVALID');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('\n');
  });
});
