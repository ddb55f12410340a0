import {
  type FakeAtlassian,
  type FakeAtlassianOptions,
  fakeSite,
  requireSite,
  startFakeAtlassian,
} from '../testing/fake-atlassian.js';
import { PROBE_SCOPES } from './probe-connector.js';

export const PROBE_USER = {
  accountId: '5b10a2844c20165700ede21g',
  displayName: 'Mia Krystof',
  email: 'mia.krystof@example.com',
};

/** The fake Atlassian plus the probe product's `myself` and `items` endpoints under `/ex/probe/:cloudId/`. */
export async function startFakeProbe(options: FakeAtlassianOptions = {}): Promise<FakeAtlassian> {
  const sites = options.sites ?? [fakeSite('acme', PROBE_SCOPES)];
  return startFakeAtlassian({
    ...options,
    sites,
    routes: {
      'GET /ex/probe/:cloudId/myself': (request, helpers) => {
        helpers.requireToken();
        return requireSite(sites, request) ?? { status: 200, body: PROBE_USER };
      },
      'GET /ex/probe/:cloudId/items': (request, helpers) => {
        helpers.requireToken();
        const limit = Math.min(100, Number(request.query['limit'] ?? 10));
        const items = Array.from({ length: limit }, (_, index) => ({ id: `item-${index + 1}` }));
        return requireSite(sites, request) ?? { status: 200, body: { items } };
      },
      ...options.routes,
    },
  });
}
