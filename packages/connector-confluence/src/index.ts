import { confluenceConnector } from './confluence-connector.js';

export type { AtlassianSite } from './atlassian-site.js';
export { CONFLUENCE_SCOPES, confluenceConnector } from './confluence-connector.js';
export { confluenceConnector as connector };
export default confluenceConnector;
