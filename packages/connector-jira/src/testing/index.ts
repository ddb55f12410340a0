// The fake Atlassian lives in @cfm/atlassian-common; re-exported so existing imports keep working.
export type { FakeAtlassian, FakeAtlassianOptions, FakeAtlassianSite } from '@cfm/atlassian-common/testing';
export { fakeSite, startFakeAtlassian } from '@cfm/atlassian-common/testing';
export type { FakeJira, FakeJiraOptions, FakeJiraUser } from './fake-jira.js';
export { startFakeJira } from './fake-jira.js';
export type { FakeJiraIssue, FakeJiraProject, FakeJiraUserRef } from './fake-jira-issues.js';
export { jiraTime } from './fake-jira-issues.js';
