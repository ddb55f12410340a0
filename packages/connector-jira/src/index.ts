import { jiraConnector } from './jira-connector.js';

export type { AtlassianSite } from '@cfm/atlassian-common';
export { JIRA_SCOPES, jiraConnector } from './jira-connector.js';
export { jiraConnector as connector };
export default jiraConnector;
