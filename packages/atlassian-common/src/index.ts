export type { AtlassianConfig, AtlassianContext } from './atlassian-config.js';
export { atlassianConfigSchema } from './atlassian-config.js';
export { atlassianOAuth2, atlassianOAuth2Hooks } from './atlassian-oauth2.js';
export type { AtlassianSite } from './atlassian-site.js';
export {
  ATLASSIAN_API_ORIGIN,
  atlassianCloudId,
  resolveAtlassianSite,
  siteMetadata,
} from './atlassian-site.js';
