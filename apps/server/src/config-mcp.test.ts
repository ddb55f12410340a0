import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import { testConfig } from './test/helpers.js';

describe('what agents may use (MCP_TOOLS, MCP_CONNECTORS)', () => {
  it('default to every tool of every connector', () => {
    expect(testConfig().mcp).toEqual({ tools: 'all', connectors: null });
  });

  it('take read-only and a connector list (spaces and repeats tolerated)', () => {
    const config = testConfig({ MCP_TOOLS: 'read-only', MCP_CONNECTORS: 'slack, jira,slack' });
    expect(config.mcp).toEqual({ tools: 'read-only', connectors: ['slack', 'jira'] });
  });

  it.each([
    [{ MCP_TOOLS: 'none' }, 'MCP_TOOLS must be all or read-only'],
    [
      { MCP_CONNECTORS: 'Slack' },
      'MCP_CONNECTORS must be a comma-separated list of connector keys (slack,jira)',
    ],
    [
      { MCP_CONNECTORS: 'slack,,jira' },
      'MCP_CONNECTORS must be a comma-separated list of connector keys (slack,jira)',
    ],
  ])('refuses %o', (env, message) => {
    expect(() => testConfig(env)).toThrow(new ConfigError(message));
  });
});
