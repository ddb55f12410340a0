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
