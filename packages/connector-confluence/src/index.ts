import { confluenceConnector } from './confluence-connector.js';

export type { AtlassianSite } from '@cfm/atlassian-common';
export { CONFLUENCE_SCOPES, confluenceConnector } from './confluence-connector.js';
export { confluenceConnector as connector };
export default confluenceConnector;
