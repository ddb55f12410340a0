export { atlassianApi } from './atlassian-api.js';
export type { AtlassianConfig, AtlassianContext } from './atlassian-config.js';
export { atlassianConfigSchema } from './atlassian-config.js';
export type { AtlassianErrorOptions } from './atlassian-errors.js';
export {
  atlassianApiError,
  atlassianErrorMessages,
  atlassianRequest,
  safeProviderText,
} from './atlassian-errors.js';
export { atlassianOAuth2, atlassianOAuth2Hooks } from './atlassian-oauth2.js';
export type { AtlassianSite } from './atlassian-site.js';
export {
  ATLASSIAN_API_ORIGIN,
  atlassianCloudId,
  CLOUD_ID_KEY,
  resolveAtlassianSite,
  siteMetadata,
  storedSiteUrl,
} from './atlassian-site.js';
