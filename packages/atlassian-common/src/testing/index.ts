// The fake alone: it loads `@cfm/connector-sdk/testing/fakes`, never vitest, so a plain Node process can run it.
export type { FakeAtlassian, FakeAtlassianOptions, FakeAtlassianSite } from './fake-atlassian.js';
export { fakeSite, requireSite, startFakeAtlassian } from './fake-atlassian.js';
export {
  decodeFakeCursor,
  encodeFakeCursor,
  pageSizeOf,
  requireScope,
  siteOf,
} from './fake-atlassian-api.js';
