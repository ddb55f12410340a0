export type { FakeNotion, FakeNotionOptions, FakeNotionPage } from './fake-notion.js';
export { startFakeNotion } from './fake-notion.js';
