import { jiraConnector } from './jira-connector.js';

export type { AtlassianSite } from '@cfm/atlassian-common';
export type { AdfDocument, AdfNode } from './adf.js';
export { adfToText, textToAdf } from './adf.js';
export { JIRA_OPTIONAL_SCOPES, JIRA_SCOPES, jiraConnector } from './jira-connector.js';
export { jiraConnector as connector };
export default jiraConnector;
