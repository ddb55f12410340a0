import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import { testConfig } from './test/helpers.js';

describe('CONNECTOR_ORIGIN_OVERRIDES', () => {
  it('keeps a valid list as written', () => {
    const text = 'https://slack.com=http://127.0.0.1:4010, https://api.notion.com=http://127.0.0.1:4011';
    expect(testConfig({ CONNECTOR_ORIGIN_OVERRIDES: text }).connectorOriginOverrides).toBe(text);
  });

  it.each([
    ['https://slack.com', 'https://slack.com'],
    ['https://slack.com/api=http://127.0.0.1:1', 'https://slack.com/api=http://127.0.0.1:1'],
    ['ftp://x.example=http://127.0.0.1:1', 'ftp://x.example=http://127.0.0.1:1'],
  ])('refuses %s with one line naming the entry', (text, entry) => {
    const attempt = () =>
      testConfig({ CONNECTOR_ORIGIN_OVERRIDES: `https://ok.example=http://127.0.0.1:2,${text}` });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^CONNECTOR_ORIGIN_OVERRIDES is not valid: /);
    expect(attempt).toThrow(entry);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('never repeats a password written in an entry', () => {
    const attempt = () =>
      testConfig({ CONNECTOR_ORIGIN_OVERRIDES: 'https://user:hunter2@x.example=http://127.0.0.1:1' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).not.toThrow(/hunter2/);
  });
});
