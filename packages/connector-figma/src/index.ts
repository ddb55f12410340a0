import { figmaConnector } from './figma-connector.js';

export { FIGMA_API_ORIGIN, FIGMA_OPTIONAL_SCOPES, FIGMA_SCOPES, figmaConnector } from './figma-connector.js';
export { figmaConnector as connector };
export default figmaConnector;
