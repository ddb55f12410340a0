import { testDialects } from '@cfm/db/testing';
import { Ajv } from 'ajv';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, tokenFor } from './test/helpers.js';
import { describeValidationIssues } from './validation.js';

const DIALECTS = await testDialects();

function issuesOf(schema: object, value: unknown) {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  expect(validate(value)).toBe(false);
  return describeValidationIssues(validate.errors ?? [], 'config_data');
}

describe('describeValidationIssues', () => {
  const Site = Type.Object({
    site: Type.Union([Type.Literal('eu'), Type.Literal('us'), Type.Literal('ap')]),
    region: Type.Optional(Type.Union([Type.Literal('north'), Type.Null()])),
    size: Type.Optional(Type.Union([Type.String({ pattern: '^[a-z]+$' }), Type.Integer({ minimum: 1 })])),
    tier: Type.Optional(Type.Union([Type.Literal('free'), Type.Literal('paid')])),
  });

  it('says once which constants a union allows, whatever the wrong value', () => {
    for (const site of ['mars', 5, null]) {
      expect(issuesOf(Site, { site })).toEqual([
        { field: 'config_data/site', message: 'must be one of "eu", "us" or "ap"' },
      ]);
    }
  });

  it('names null among the allowed values, and keeps one message per field for several fields', () => {
    expect(issuesOf(Site, { site: 'x', region: 'south', tier: 'gold' })).toEqual([
      { field: 'config_data/site', message: 'must be one of "eu", "us" or "ap"' },
      { field: 'config_data/region', message: 'must be one of "north" or null' },
      { field: 'config_data/tier', message: 'must be one of "free" or "paid"' },
    ]);
  });

  it('lists an enum and a single constant, and names missing and unexpected properties', () => {
    const schema = {
      type: 'object',
      required: ['mode'],
      additionalProperties: false,
      properties: { mode: { enum: ['a', 'b'] }, kind: { const: 'x' } },
    };
    expect(issuesOf(schema, { mode: 'c', kind: 'y', extra: 1 })).toEqual([
      { field: 'config_data/extra', message: 'must NOT have additional properties' },
      { field: 'config_data/mode', message: 'must be one of "a" or "b"' },
      { field: 'config_data/kind', message: 'must be "x"' },
    ]);
    expect(issuesOf(schema, {})).toEqual([
      { field: 'config_data/mode', message: "must have required property 'mode'" },
    ]);
  });

  it('leaves a union of shapes as Ajv says it, without repeating a message', () => {
    const details = issuesOf(Site, { site: 'eu', size: 'A' });
    expect(details.map((detail) => detail.field)).toEqual([
      'config_data/size',
      'config_data/size',
      'config_data/size',
    ]);
    expect(new Set(details.map((detail) => detail.message)).size).toBe(3);
  });
});

for (const dialect of DIALECTS) {
  describe(`validation messages a person can act on (${dialect})`, () => {
    let test: TestApp;
    let alice: string;

    beforeAll(async () => {
      test = await createTestApp(dialect);
      alice = await tokenFor({ email: 'alice@example.com' });
    });

    afterAll(async () => {
      await test?.close();
    });

    it('a bad Datadog site answers one message listing the sites', async () => {
      const response = await test.app.inject({
        method: 'POST',
        url: '/api/connections/',
        headers: { authorization: `Bearer ${alice}` },
        payload: { connector_key: 'datadog', config_data: { site: 'datadoghq.co' } },
      });
      expect(response.statusCode, response.body).toBe(400);
      const sites =
        '"datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu", "ap1.datadoghq.com" or "ddog-gov.com"';
      expect(response.json()).toEqual({
        statusCode: 400,
        code: 'CFM_CONFIG_INVALID',
        error: 'Bad Request',
        message: `config_data/site must be one of ${sites}`,
        details: [{ field: 'config_data/site', message: `must be one of ${sites}` }],
      });
    });

    it('a bad status filter lists the statuses', async () => {
      const response = await test.app.inject({
        method: 'GET',
        url: '/api/connections/?status=broken',
        headers: { authorization: `Bearer ${alice}` },
      });
      expect(response.statusCode, response.body).toBe(400);
      const { details } = response.json() as { details: Array<{ field: string; message: string }> };
      expect(details).toHaveLength(1);
      expect(details[0]).toMatchObject({ field: 'querystring/status' });
      expect(details[0]!.message).toMatch(/^must be one of "\w+"(, "\w+")* or "\w+"$/);
    });
  });
}
