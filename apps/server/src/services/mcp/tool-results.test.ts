import { describe, expect, it } from 'vitest';
import { ServiceError } from '../service-error.js';
import { errorResult, successResult, toolFailureMessage, unusableMessage } from './tool-results.js';

describe('MCP tool results', () => {
  it('answer data as structured content and as JSON text, wrapped when the output is not an object', () => {
    expect(successResult({ channels: [] }, false)).toEqual({
      content: [{ type: 'text', text: '{"channels":[]}' }],
      structuredContent: { channels: [] },
    });
    expect(successResult([1, 2], true).structuredContent).toEqual({ result: [1, 2] });
    expect(errorResult('nope')).toEqual({ content: [{ type: 'text', text: 'nope' }], isError: true });
  });

  it('say how long to wait on a rate limit', () => {
    const limited = new ServiceError('CFM_PROVIDER_RATE_LIMITED', 'Slack rate limited the request', {
      retryAfterMs: 29_100,
    });
    expect(toolFailureMessage('Slack', limited)).toBe('Slack rate limit: retry after 30 s.');
    expect(toolFailureMessage('Slack', new ServiceError('CFM_PROVIDER_RATE_LIMITED', 'x'))).toBe(
      'Slack rate limit: retry after a minute.',
    );
  });

  it('tell the model the user must reconnect an expired connection', () => {
    const expired = new ServiceError('CFM_CONNECTION_EXPIRED', 'anything');
    expect(toolFailureMessage('Jira', expired)).toMatch(/^Jira connection expired: the user must reconnect/);
    expect(unusableMessage('Jira', 'expired')).toMatch(/^Jira connection expired: the user must reconnect/);
    expect(unusableMessage('Slack', 'revoked')).toMatch(/disconnected by the user/);
  });

  it('name every bad argument by its path in the arguments', () => {
    const invalid = new ServiceError('CFM_VALIDATION', 'body/limit must be integer', {
      details: [
        { field: 'body/limit', message: 'must be integer' },
        { field: 'body/jql', message: "must have required property 'jql'" },
        { field: 'body', message: 'must be object' },
      ],
    });
    expect(toolFailureMessage('Jira', invalid)).toBe(
      "Invalid arguments: limit must be integer; jql must have required property 'jql'; arguments must be object. Fix them and call the tool again.",
    );
  });

  it('never repeat what an unexpected error carries', () => {
    const bug = new Error('boom xoxb-secret-token at /srv/app/dist/x.js:1:2');
    const message = toolFailureMessage('Slack', bug);
    expect(message).toBe('The Slack tool failed with an internal error; retrying may not help.');
    expect(message).not.toContain('xoxb');
  });
});
