import type { TObject } from '@cfm/connector-sdk';
import { describe, expect, it } from 'vitest';
import { validateConfigData } from './config-validation.js';

describe('validateConfigData', () => {
  const withId = (pattern: string) =>
    ({
      $id: 'https://schemas.example/site-config',
      type: 'object',
      properties: { site: { type: 'string', pattern, default: 'eu' } },
    }) as unknown as TObject;

  it('validates two versions of a schema that share an `$id` (a custom connector after an update)', () => {
    expect(validateConfigData(withId('^eu$'), { site: 'eu' })).toEqual({ ok: true, value: { site: 'eu' } });
    const updated = validateConfigData(withId('^us$'), { site: 'eu' });
    expect(updated).toEqual({
      ok: false,
      details: [{ field: 'config_data/site', message: 'must match pattern "^us$"' }],
    });
  });

  it('keeps the compiled validator working for its schema after the first use', () => {
    const schema = withId('^x');
    expect(validateConfigData(schema, {}).ok).toBe(false);
    expect(validateConfigData(schema, { site: 'xy' })).toEqual({ ok: true, value: { site: 'xy' } });
  });
});

describe('admin patterns and sizes cannot stall the server', () => {
  it('runs schema patterns on RE2, which has no backtracking (a look-ahead cannot even compile)', () => {
    const dangerous = {
      type: 'object',
      properties: { host: { type: 'string', pattern: '^([a-z0-9]+[-.]?)+$' } },
    } as unknown as TObject;
    // With Node's engine this input takes seconds and blocks the process; RE2 answers at once.
    expect(validateConfigData(dangerous, { host: `${'a'.repeat(30)}!` }).ok).toBe(false);
    expect(validateConfigData(dangerous, { host: 'api.example-1.com' }).ok).toBe(true);
    const lookAhead = {
      type: 'object',
      properties: { host: { type: 'string', pattern: '^(?=a)a+$' } },
    } as unknown as TObject;
    expect(() => validateConfigData(lookAhead, { host: 'aaa' })).toThrow(/unsupported Perl syntax/);
  });

  it('refuses strings longer than the cap before any pattern runs', () => {
    const schema = { type: 'object', properties: { name: { type: 'string' } } } as unknown as TObject;
    const result = validateConfigData(schema, { name: 'x'.repeat(5000) });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.details[0]?.field).toBe('config_data/name');
  });
});
