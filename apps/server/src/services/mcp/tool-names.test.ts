import { describe, expect, it } from 'vitest';
import { connectionSuffixes, toolName } from './tool-names.js';

describe('MCP tool names', () => {
  it('are <connector_key>_<action_name> for the only connection of a connector', () => {
    const suffixes = connectionSuffixes([
      { connectionId: '3f2a9c1b-0000-4000-8000-000000000001', connectorKey: 'slack' },
      { connectionId: '7d1e0b2a-0000-4000-8000-000000000002', connectorKey: 'jira' },
    ]);
    expect(
      toolName('slack', 'list_channels', suffixes.get('3f2a9c1b-0000-4000-8000-000000000001') ?? null),
    ).toBe('slack_list_channels');
    expect(
      toolName('jira', 'search_issues', suffixes.get('7d1e0b2a-0000-4000-8000-000000000002') ?? null),
    ).toBe('jira_search_issues');
  });

  it('give every connection of a connector the user has twice its own id suffix, the same on every call', () => {
    const connections = [
      { connectionId: '3f2a9c1b-aaaa-4000-8000-000000000001', connectorKey: 'jira' },
      { connectionId: '9b8c7d6e-bbbb-4000-8000-000000000002', connectorKey: 'jira' },
      { connectionId: '11111111-cccc-4000-8000-000000000003', connectorKey: 'slack' },
    ];
    const suffixes = connectionSuffixes(connections);
    expect(suffixes.get('3f2a9c1b-aaaa-4000-8000-000000000001')).toBe('3f2a9c1b');
    expect(suffixes.get('9b8c7d6e-bbbb-4000-8000-000000000002')).toBe('9b8c7d6e');
    expect(suffixes.get('11111111-cccc-4000-8000-000000000003')).toBeNull();
    expect(connectionSuffixes([...connections].reverse())).toEqual(suffixes);
    expect(toolName('jira', 'search_issues', '3f2a9c1b')).toBe('jira_search_issues_3f2a9c1b');
  });

  it('lengthen a suffix until the two connections differ', () => {
    const suffixes = connectionSuffixes([
      { connectionId: 'abcdef01-2345-4000-8000-000000000001', connectorKey: 'jira' },
      { connectionId: 'abcdef01-2399-4000-8000-000000000002', connectorKey: 'jira' },
    ]);
    expect(suffixes.get('abcdef01-2345-4000-8000-000000000001')).toBe('abcdef01234');
    expect(suffixes.get('abcdef01-2399-4000-8000-000000000002')).toBe('abcdef01239');
  });
});
