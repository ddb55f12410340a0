import { datadogConnector } from './datadog-connector.js';

export { datadogConnector } from './datadog-connector.js';
export type { DatadogSite } from './datadog-sites.js';
export {
  apiOrigin,
  appOrigin,
  DATADOG_APP_HOSTS,
  DATADOG_SITES,
  DEFAULT_DATADOG_SITE,
  siteFromCallbackValue,
} from './datadog-sites.js';
export { datadogConnector as connector };
export default datadogConnector;
