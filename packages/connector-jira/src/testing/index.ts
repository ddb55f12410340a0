export type { FakeAtlassian, FakeAtlassianOptions, FakeAtlassianSite } from './fake-atlassian.js';
export { fakeSite, startFakeAtlassian } from './fake-atlassian.js';
export type { FakeJira, FakeJiraIssue, FakeJiraOptions, FakeJiraUser } from './fake-jira.js';
export { startFakeJira } from './fake-jira.js';
