export type { FakeAtlassian, FakeAtlassianOptions, FakeAtlassianSite } from './fake-atlassian.js';
export { fakeSite, startFakeAtlassian } from './fake-atlassian.js';
export type {
  FakeConfluence,
  FakeConfluenceOptions,
  FakeConfluenceSpace,
  FakeConfluenceUser,
} from './fake-confluence.js';
export { startFakeConfluence } from './fake-confluence.js';
