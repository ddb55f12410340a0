import { startFakeConfluence } from '@cfm/connector-confluence/testing';
import { startFakeDatadog } from '@cfm/connector-datadog/testing';
import { startFakeFigma } from '@cfm/connector-figma/testing';
import { startFakeJira } from '@cfm/connector-jira/testing';
import { startFakeNotion } from '@cfm/connector-notion/testing';
import type { FakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { startFakeSlack } from '@cfm/connector-slack/testing';
import { type AtlassianRouter, startAtlassianRouter } from './atlassian-router.js';

export const PACKAGED_KEYS = ['jira', 'confluence', 'slack', 'notion', 'figma', 'datadog'] as const;
export type PackagedKey = (typeof PACKAGED_KEYS)[number];

/** One packaged connector's fake and what the provider is expected to do. */
export interface PackagedFake {
  key: PackagedKey;
  fake: FakeOAuth2Provider;
  /** `config_data` of a connection created before authorizing (none: authorize without a connection). */
  config?: Record<string, unknown>;
  /** The provider has a revocation endpoint the connector calls (Slack, Notion, Datadog). */
  providerRevokes: boolean;
}

export interface PackagedFakes {
  byKey: Record<PackagedKey, PackagedFake>;
  /** `CONNECTOR_ORIGIN_OVERRIDES`, `<KEY>_CLIENT_ID` and `<KEY>_CLIENT_SECRET` for every fake. */
  env: Record<string, string>;
  close(): Promise<void>;
}

function overridesText(maps: Record<string, string>[]): string {
  return maps.flatMap((map) => Object.entries(map).map(([from, to]) => `${from}=${to}`)).join(',');
}

/**
 * Starts the six packaged connectors' fakes (consent page on: `approve()` clicks Allow), each with its
 * own client credentials, plus the Atlassian router Jira and Confluence share.
 */
export async function startPackagedFakes(): Promise<PackagedFakes> {
  const client = (key: string) => ({
    clientId: `e2e-${key}-client`,
    clientSecret: `e2e-${key}-secret-${crypto.randomUUID()}`,
  });
  const jira = await startFakeJira({
    ...client('jira'),
    accessTokenPrefix: 'jira-at-',
    refreshTokenPrefix: 'jira-rt-',
  });
  const confluence = await startFakeConfluence({
    ...client('confluence'),
    accessTokenPrefix: 'confluence-at-',
    refreshTokenPrefix: 'confluence-rt-',
  });
  // Token rotation on, so Slack has a refresh to show (without it the tokens never expire).
  const slack = await startFakeSlack({ rotation: true, provider: client('slack') });
  const notion = await startFakeNotion({ provider: client('notion') });
  const figma = await startFakeFigma(client('figma'));
  const datadog = await startFakeDatadog(client('datadog'));
  let router: AtlassianRouter | undefined;
  try {
    router = await startAtlassianRouter([
      {
        url: jira.url,
        clientId: jira.clientId,
        pathPrefix: '/ex/jira/',
        tokenPrefixes: ['jira-at-', 'jira-rt-'],
      },
      {
        url: confluence.url,
        clientId: confluence.clientId,
        pathPrefix: '/ex/confluence/',
        tokenPrefixes: ['confluence-at-', 'confluence-rt-'],
      },
    ]);
  } catch (error) {
    await Promise.all([jira, confluence, slack, notion, figma, datadog].map((fake) => fake.close()));
    throw error;
  }
  const atlassian = { 'https://auth.atlassian.com': router.url, 'https://api.atlassian.com': router.url };
  const byKey: Record<PackagedKey, PackagedFake> = {
    jira: { key: 'jira', fake: jira, providerRevokes: false },
    confluence: { key: 'confluence', fake: confluence, providerRevokes: false },
    slack: { key: 'slack', fake: slack, providerRevokes: true },
    notion: { key: 'notion', fake: notion, providerRevokes: true },
    figma: { key: 'figma', fake: figma, providerRevokes: false },
    datadog: { key: 'datadog', fake: datadog, config: { site: 'datadoghq.com' }, providerRevokes: true },
  };
  const env: Record<string, string> = {
    CONNECTOR_ORIGIN_OVERRIDES: overridesText([
      atlassian,
      slack.originOverrides,
      notion.originOverrides,
      figma.originOverrides,
      datadog.originOverrides,
    ]),
  };
  for (const { key, fake } of Object.values(byKey)) {
    env[`${key.toUpperCase()}_CLIENT_ID`] = fake.clientId;
    env[`${key.toUpperCase()}_CLIENT_SECRET`] = fake.clientSecret;
  }
  const started = router;
  return {
    byKey,
    env,
    async close() {
      await Promise.all([started.close(), ...Object.values(byKey).map(({ fake }) => fake.close())]);
    },
  };
}
