import type { ConnectorContextOptions, OAuth2Credentials } from '@cfm/connector-sdk';
import { createConnectorContext, createOriginRewriter } from '@cfm/connector-sdk';
import type { AtlassianConfig } from '../atlassian-config.js';
import type { FakeAtlassian } from '../testing/fake-atlassian.js';
import { probeConnector } from './probe-connector.js';

/** A probe connector context whose Atlassian URLs go to `fake`. */
export function probeContext(
  fake: FakeAtlassian,
  credentials: OAuth2Credentials,
  options: Partial<ConnectorContextOptions<AtlassianConfig>> = {},
) {
  return createConnectorContext<AtlassianConfig>(probeConnector, {
    config: {},
    credentials,
    rewriteUrl: createOriginRewriter(fake.rewrite),
    ...options,
  });
}
