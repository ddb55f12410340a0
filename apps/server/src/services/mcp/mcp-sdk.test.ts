import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { loadMcpSdk, MCP_PROTOCOL_VERSION } from './mcp-sdk.js';

describe('MCP SDK', () => {
  it('is the SDK whose newest protocol revision GET /api announces', () => {
    expect(MCP_PROTOCOL_VERSION).toBe(LATEST_PROTOCOL_VERSION);
  });

  it('is loaded once, however many requests ask for it at the same time', async () => {
    const [first, second] = await Promise.all([loadMcpSdk(), loadMcpSdk()]);
    expect(first).toBe(second);
    expect(new first.McpError(first.ErrorCode.InvalidParams, 'x')).toBeInstanceOf(Error);
  });
});
