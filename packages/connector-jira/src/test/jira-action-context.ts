import type { AtlassianSite } from '@cfm/atlassian-common';
import { siteMetadata } from '@cfm/atlassian-common';
import { actionContextFor } from '@cfm/connector-sdk/testing';
import { jiraConnector } from '../jira-connector.js';
import type { FakeJira } from '../testing/index.js';

export const READ_SCOPES = ['read:jira-work', 'read:jira-user', 'offline_access'];
export const WRITE_SCOPES = [...READ_SCOPES, 'write:jira-work'];

export interface JiraActionContextOptions {
  /** Default: the read scopes. */
  scopes?: string[];
  /** Default: the fake's first site, as `check` stores it. */
  site?: AtlassianSite;
  metadata?: Record<string, unknown>;
  retries?: number;
  accessToken?: string;
}

/** An action context for a connection checked against `fake`'s first site (one attempt unless told). */
export function jiraActionContext(fake: FakeJira, options: JiraActionContextOptions = {}) {
  const { credentials } = fake.issueTokensDirectly({ scopes: options.scopes ?? READ_SCOPES });
  const site = options.site ?? (fake.sites[0] as AtlassianSite);
  return actionContextFor<{ site?: string }>(jiraConnector, {
    credentials:
      options.accessToken === undefined ? credentials : { ...credentials, accessToken: options.accessToken },
    metadata: options.metadata ?? siteMetadata(site),
    rewrite: fake.rewrite,
    retries: options.retries ?? 0,
    maxRetryDelayMs: 2_000,
  });
}
