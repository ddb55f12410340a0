export type { FakeFigma, FakeFigmaOptions, FakeFigmaProject } from './fake-figma.js';
export { FIGMA_KNOWN_SCOPES, FIGMA_REAL_ORIGINS, startFakeFigma } from './fake-figma.js';
