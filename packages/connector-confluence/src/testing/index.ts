// The fake Atlassian lives in @cfm/atlassian-common; re-exported so existing imports keep working.
export type { FakeAtlassian, FakeAtlassianOptions, FakeAtlassianSite } from '@cfm/atlassian-common/testing';
export { fakeSite, startFakeAtlassian } from '@cfm/atlassian-common/testing';
export type {
  FakeConfluence,
  FakeConfluenceOptions,
  FakeConfluenceSpace,
  FakeConfluenceUser,
} from './fake-confluence.js';
export { startFakeConfluence } from './fake-confluence.js';
export type { FakeConfluenceContent } from './fake-confluence-pages.js';
