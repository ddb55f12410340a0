import type { ContextForOptions } from '@cfm/connector-sdk/testing';
import { contextFor } from '@cfm/connector-sdk/testing';
import type { AtlassianConfig } from '../atlassian-config.js';
import type { FakeAtlassian } from '../testing/fake-atlassian.js';
import { probeConnector } from './probe-connector.js';

/** A probe connector context whose Atlassian URLs go to `fake` (one attempt unless `retries` says more). */
export function probeContext(
  fake: FakeAtlassian,
  credentials: ContextForOptions['credentials'],
  options: Omit<ContextForOptions<AtlassianConfig>, 'credentials' | 'rewrite'> = {},
) {
  return contextFor<AtlassianConfig>(probeConnector, { credentials, rewrite: fake.rewrite, ...options });
}
