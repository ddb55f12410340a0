import { describe, expect, it } from 'vitest';
import {
  connectorUrlProblem,
  createConnectorUrlPolicy,
  HTTPS_REQUIRED,
  INSECURE_LOOPBACK_ONLY,
} from './connector-url-policy.js';

describe('connectorUrlProblem', () => {
  const strict = createConnectorUrlPolicy({ allowInsecureConnectorUrls: false });
  const relaxed = createConnectorUrlPolicy({
    allowInsecureConnectorUrls: true,
    connectorOriginOverrides: 'http://vendor.internal=http://10.0.0.5:8080',
  });

  it('accepts https, with placeholders in path and query', () => {
    expect(connectorUrlProblem('https://acme.example/oauth/token', strict)).toBeUndefined();
    expect(connectorUrlProblem('https://acme.example/{team}/me?x={region}', strict)).toBeUndefined();
  });

  it('refuses http unless loopback and allowed, or an operator override origin', () => {
    expect(connectorUrlProblem('http://127.0.0.1:3000/me', strict)).toBe(HTTPS_REQUIRED);
    expect(connectorUrlProblem('http://127.0.0.1:3000/me', relaxed)).toBeUndefined();
    expect(connectorUrlProblem('http://localhost/me', relaxed)).toBeUndefined();
    expect(connectorUrlProblem('http://acme.example/me', relaxed)).toBe(INSECURE_LOOPBACK_ONLY);
    expect(connectorUrlProblem('http://vendor.internal/token', relaxed)).toBeUndefined();
    expect(connectorUrlProblem('http://10.0.0.5:8080/token', relaxed)).toBeUndefined();
  });

  it('names ALLOW_INSECURE_CONNECTOR_URLS, and that it is for development, when it refuses http', () => {
    expect(HTTPS_REQUIRED).toContain('ALLOW_INSECURE_CONNECTOR_URLS=true');
    expect(HTTPS_REQUIRED).toContain('development only');
    expect(INSECURE_LOOPBACK_ONLY).toContain('ALLOW_INSECURE_CONNECTOR_URLS');
  });

  it('refuses other schemes, credentials in the URL, placeholders in the origin and relative URLs', () => {
    expect(connectorUrlProblem('ftp://acme.example/x', strict)).toBe('must be an https URL');
    expect(connectorUrlProblem('https://user:pw@acme.example/x', strict)).toMatch(/user name or password/);
    expect(connectorUrlProblem('https://{site}.example/x', strict)).toMatch(/placeholder/);
    expect(connectorUrlProblem('/oauth/token', strict)).toBe('must be an absolute URL');
  });
});

describe('connectorUrlProblem loopback detection (ALLOW_INSECURE_CONNECTOR_URLS)', () => {
  const relaxed = createConnectorUrlPolicy({ allowInsecureConnectorUrls: true });
  const strict = createConnectorUrlPolicy({ allowInsecureConnectorUrls: false });

  it('accepts every spelling of a loopback host under the flag only', () => {
    for (const url of [
      'http://127.1/me',
      'http://0x7f.0.0.1/me',
      'http://[::1]:8080/me',
      'http://[0:0:0:0:0:0:0:1]/me',
      'http://[::ffff:127.0.0.1]/me',
      'http://LOCALHOST./me',
    ]) {
      expect(connectorUrlProblem(url, relaxed), url).toBeUndefined();
      expect(connectorUrlProblem(url, strict), url).toBe(HTTPS_REQUIRED);
    }
  });

  it('refuses look-alikes and the wildcard address', () => {
    for (const url of [
      'http://0.0.0.0/me',
      'http://[::ffff:10.0.0.1]/me',
      'http://127.0.0.1.nip.example/me',
      'http://localhost.evil.example/me',
      'http://app.localhost/me',
    ]) {
      expect(connectorUrlProblem(url, relaxed), url).toMatch(/loopback hosts only/);
    }
  });
});
