export type { FakeFigma, FakeFigmaOptions, FakeFigmaProject } from './fake-figma.js';
export { FIGMA_KNOWN_SCOPES, FIGMA_REAL_ORIGINS, startFakeFigma } from './fake-figma.js';
export type { FakeFigmaComment, FakeFigmaFile, FakeFigmaNode } from './fake-figma-files.js';
export { FAKE_FIGMA_FILE_KEY } from './fake-figma-files.js';
