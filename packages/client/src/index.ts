import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { paths } from './generated/openapi.js';

// Every schema by name (`Connector`, `Connection`, `ErrorResponse`…), and `paths`, `components`, `operations`.
export type * from './generated/openapi.js';

/** The typed client: `GET`, `POST`, `PUT`, `DELETE`… on the API's paths, with typed bodies and answers. */
export type CfmClient = Client<paths>;

/** A token, or a function asked before every request (for a token that is refreshed). */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

export interface CfmClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** Where the API answers, without `/api` (every path starts with it): `https://api.example.com`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`: the signed-in user's JWT, or (back ends only) a service key. */
  token?: TokenSource;
}

function bearer(token: TokenSource): Middleware {
  return {
    async onRequest({ request }) {
      if (request.headers.has('authorization')) return request; // set on this call: it wins
      const value = typeof token === 'function' ? await token() : token;
      if (value !== undefined && value !== '') request.headers.set('authorization', `Bearer ${value}`);
      return request;
    },
  };
}

/**
 * A typed client of the Connector Framework Manager API (openapi-fetch over the generated types). Every
 * call answers `{ data, error, response }`: `data` typed by the path's success answer, `error` an
 * `ErrorResponse` (`{ statusCode, code, error, message }`).
 *
 * @example
 * const cfm = createCfmClient({ baseUrl: 'https://api.example.com', token: () => session.token });
 * const { data: connectors, error } = await cfm.GET('/api/connectors');
 * if (error) throw new Error(`${error.code}: ${error.message}`);
 */
export function createCfmClient({ token, ...options }: CfmClientOptions): CfmClient {
  const client = createClient<paths>(options);
  if (token !== undefined) client.use(bearer(token));
  return client;
}
