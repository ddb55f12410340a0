import type { Credentials } from '@cfm/connector-sdk';
import { actionContextFor, type Rewrite } from '@cfm/connector-sdk/testing';
import { datadogConnector } from '../datadog-connector.js';
import type { DatadogSite } from '../datadog-sites.js';
import type { FakeDatadog } from '../testing/index.js';

export interface DatadogActionContextOptions {
  /** The configured site. Default `us5.datadoghq.com`. */
  site?: DatadogSite;
  metadata?: Record<string, unknown>;
  retries?: number;
  /** Default `fake.rewrite`; a function to record the real URLs. */
  rewrite?: Rewrite;
}

/** An action context against `fake` (one attempt unless told). */
export function datadogActionContext(
  fake: FakeDatadog,
  credentials: Credentials,
  options: DatadogActionContextOptions = {},
) {
  const site = options.site ?? 'us5.datadoghq.com';
  return actionContextFor<{ site?: string }>(datadogConnector, {
    config: { site },
    credentials,
    metadata: options.metadata ?? { site },
    rewrite: options.rewrite ?? fake.rewrite,
    retries: options.retries ?? 0,
    maxRetryDelayMs: 2_000,
  });
}

export function apiKeys(fake: FakeDatadog): Credentials {
  return { type: 'api_key', values: { apiKey: fake.apiKey, applicationKey: fake.applicationKey } };
}
