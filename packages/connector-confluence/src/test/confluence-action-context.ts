import type { AtlassianSite } from '@cfm/atlassian-common';
import { siteMetadata } from '@cfm/atlassian-common';
import { actionContextFor } from '@cfm/connector-sdk/testing';
import { confluenceConnector } from '../confluence-connector.js';
import type { FakeConfluence } from '../testing/index.js';

export interface ConfluenceActionContextOptions {
  /** Default: the fake's first site, as `check` stores it. */
  site?: AtlassianSite;
  metadata?: Record<string, unknown>;
  retries?: number;
}

/** An action context for a connection checked against `fake`'s first site (one attempt unless told). */
export function confluenceActionContext(fake: FakeConfluence, options: ConfluenceActionContextOptions = {}) {
  const site = options.site ?? (fake.sites[0] as AtlassianSite);
  return actionContextFor<{ site?: string }>(confluenceConnector, {
    credentials: fake.issueTokensDirectly().credentials,
    metadata: options.metadata ?? siteMetadata(site),
    rewrite: fake.rewrite,
    retries: options.retries ?? 0,
    maxRetryDelayMs: 2_000,
  });
}
