import { notionConnector } from './notion-connector.js';

export { NOTION_VERSION } from './notion-api.js';
export { notionConnector } from './notion-connector.js';
export { notionConnector as connector };
export default notionConnector;
