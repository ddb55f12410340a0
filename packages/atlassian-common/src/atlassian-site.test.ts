import { connectorErrorOf } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_USER, startFakeProbe } from './test/fake-probe.js';
import { PROBE_SCOPES, probeConnector } from './test/probe-connector.js';
import { probeContext } from './test/probe-context.js';
import { type FakeAtlassian, fakeSite } from './testing/index.js';

describe('Atlassian site selection against the fake Atlassian', () => {
  let fake: FakeAtlassian;
  const acme = fakeSite('acme', PROBE_SCOPES);
  const globex = fakeSite('globex', PROBE_SCOPES);

  beforeAll(async () => {
    fake = await startFakeProbe({ sites: [acme, globex] });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('check picks the first site by default and persists its cloud id, URL and name', async () => {
    const result = await probeConnector.check(probeContext(fake, fake.issueTokensDirectly().credentials));
    expect(result.identity).toEqual({
      accountId: PROBE_USER.accountId,
      displayName: 'Mia Krystof',
      email: 'mia.krystof@example.com',
      workspace: 'acme',
      site: 'https://acme.atlassian.net',
    });
    expect(result.metadata).toEqual({ cloudId: acme.id, siteUrl: acme.url, siteName: 'acme' });
  });

  it.each([
    ['its URL', 'https://globex.atlassian.net/'],
    ['its host', 'globex.atlassian.net'],
    ['its name', 'Globex'],
    ['its cloud id', globex.id],
  ])('check picks the site the config names by %s', async (_label, site) => {
    const ctx = probeContext(fake, fake.issueTokensDirectly().credentials, { config: { site } });
    const result = await probeConnector.check(ctx);
    expect(result.identity.site).toBe(globex.url);
    expect(result.metadata).toMatchObject({ cloudId: globex.id, siteUrl: globex.url });
  });

  it('check keeps the site chosen earlier, since the list order is not meaningful', async () => {
    const ctx = probeContext(fake, fake.issueTokensDirectly().credentials, {
      metadata: { cloudId: globex.id },
    });
    expect((await probeConnector.check(ctx)).identity.workspace).toBe('globex');
  });

  it.each([
    ['a name', 'initech'],
    ['a URL', 'https://initech.atlassian.net'],
  ])(
    'check refuses a configured site the grant does not cover, given as %s (config)',
    async (_label, site) => {
      const ctx = probeContext(fake, fake.issueTokensDirectly().credentials, { config: { site } });
      const error = await connectorErrorOf(probeConnector.check(ctx));
      expect(error.reason).toBe('config');
      expect(error.message).toContain('initech');
    },
  );

  it('check reports a bad access token as auth', async () => {
    const error = await connectorErrorOf(
      probeConnector.check(probeContext(fake, { type: 'oauth2', accessToken: 'nope' })),
    );
    expect(error.reason).toBe('auth');
  });

  it('fetchSample uses the stored cloud id without listing the sites again', async () => {
    const ctx = probeContext(fake, fake.issueTokensDirectly().credentials, {
      metadata: { cloudId: globex.id, siteUrl: globex.url, siteName: globex.name },
    });
    const before = fake.requests.length;
    const sample = await probeConnector.fetchSample?.(ctx, { limit: 2 });
    expect(sample?.items).toEqual([{ id: 'item-1' }, { id: 'item-2' }]);
    const paths = fake.requests.slice(before).map((request) => request.path);
    expect(paths).toEqual([`/ex/probe/${globex.id}/items`]);
  });

  it('fetchSample resolves the site again when the config now names another one', async () => {
    const ctx = probeContext(fake, fake.issueTokensDirectly().credentials, {
      config: { site: 'acme' },
      metadata: { cloudId: globex.id, siteUrl: globex.url, siteName: globex.name },
    });
    const before = fake.requests.length;
    await probeConnector.fetchSample?.(ctx, { limit: 1 });
    const paths = fake.requests.slice(before).map((request) => request.path);
    expect(paths).toEqual(['/oauth/token/accessible-resources', `/ex/probe/${acme.id}/items`]);
  });
});

describe('Atlassian grants without a usable site', () => {
  it('reports a grant without any site as permission', async () => {
    const fake = await startFakeProbe({ sites: [] });
    try {
      const error = await connectorErrorOf(
        probeConnector.check(probeContext(fake, fake.issueTokensDirectly().credentials)),
      );
      expect(error.reason).toBe('permission');
      expect(error.message).toMatch(/no site/);
    } finally {
      await fake.close();
    }
  });
});
