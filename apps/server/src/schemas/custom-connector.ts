import { type Static, Type } from 'typebox';

/**
 * A custom connector as an admin declares it (snake case, data only). Shared by the connectors routes
 * and `services/custom-connector.ts`, which turns it into a real `ConnectorDefinition`.
 */
export const CONNECTOR_KEY_PATTERN = '^[a-z][a-z0-9-]{1,63}$';

const Url = (example: string) => Type.String({ minLength: 1, maxLength: 2048, examples: [example] });
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

export const CustomOAuth2Auth = Type.Object(
  {
    type: Type.Literal('oauth2'),
    authorize_url: Url('https://acme.example/oauth/authorize'),
    token_url: Url('https://acme.example/oauth/token'),
    revoke_url: Type.Optional(Url('https://acme.example/oauth/revoke')),
    scopes: Type.Optional(Type.Array(Text(200), { maxItems: 100 })),
    scope_separator: Type.Optional(Type.Union([Type.Literal(' '), Type.Literal(',')])),
    pkce: Type.Optional(Type.Boolean({ description: 'Send a PKCE S256 challenge (default true).' })),
    client_auth: Type.Optional(Type.Union([Type.Literal('basic'), Type.Literal('body')])),
    token_request_format: Type.Optional(Type.Union([Type.Literal('form'), Type.Literal('json')])),
    extra_authorize_params: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 500 }))),
    issuer: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description:
          "The provider's issuer identifier (RFC 9207). When set, a callback whose `iss` differs is refused (`CFM_OAUTH_ISSUER_MISMATCH`).",
        examples: ['https://auth.acme.example'],
      }),
    ),
    client_id: Text(500),
    client_secret: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        writeOnly: true,
        description: 'Stored encrypted, never returned. Required on create; omit on update to keep it.',
      }),
    ),
  },
  { additionalProperties: false, title: 'CustomOAuth2Auth' },
);

export const CustomApiKeyField = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$', examples: ['apiKey'] }),
    label: Text(200),
    in: Type.Union([Type.Literal('header'), Type.Literal('query')]),
    param: Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$", examples: ['Authorization'] }),
    prefix: Type.Optional(Type.String({ maxLength: 50, examples: ['Bearer '] })),
  },
  { additionalProperties: false },
);

export const CustomApiKeyAuth = Type.Object(
  {
    type: Type.Literal('api_key'),
    fields: Type.Array(CustomApiKeyField, { minItems: 1, maxItems: 10 }),
  },
  { additionalProperties: false, title: 'CustomApiKeyAuth' },
);

export const CustomAuth = Type.Union([CustomOAuth2Auth, CustomApiKeyAuth]);

/** Dotted paths (`data.user.id`) into the JSON answer of the check call. */
export const IdentityMapping = Type.Object(
  {
    account_id: Type.Optional(Text(200)),
    display_name: Type.Optional(Text(200)),
    email: Type.Optional(Text(200)),
    workspace: Type.Optional(Text(200)),
  },
  { additionalProperties: false },
);

export const CustomCheck = Type.Object(
  {
    method: Type.Optional(Type.Union([Type.Literal('GET'), Type.Literal('POST'), Type.Literal('HEAD')])),
    url: Url('https://api.acme.example/v1/me'),
    expect_status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, default: 200 })),
    identity: Type.Optional(IdentityMapping),
  },
  { additionalProperties: false, title: 'CustomCheck' },
);

/**
 * The provider API the connection's credentials open, for the proxy (`/api/connections/{id}/proxy/{path}`).
 * `{placeholders}` are filled from the connection's `config_data`.
 */
export const CustomApi = Type.Object(
  {
    base_url: Type.String({
      minLength: 1,
      maxLength: 2048,
      examples: ['https://api.acme.example/v1'],
      description: 'https URL (with optional `{placeholders}` from config_data); no query or fragment.',
    }),
    headers: Type.Optional(
      Type.Record(
        Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$" }),
        Type.String({ maxLength: 1000 }),
        {
          maxProperties: 20,
          description: 'Headers sent with every proxied request (`Acme-Version`).',
        },
      ),
    ),
  },
  { additionalProperties: false, title: 'CustomApi' },
);

/** A JSON Schema for the connection settings: an object schema (checked by compiling it with Ajv). */
export const ConfigSchema = Type.Object(
  {
    type: Type.Literal('object'),
    properties: Type.Record(Type.String(), Type.Unknown()),
    required: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: true, description: 'JSON Schema of the connection config (`config_data`).' },
);

const DisplayFields = {
  name: Text(200),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  icon_url: Type.Optional(Type.String({ format: 'uri', maxLength: 2048 })),
  docs_url: Type.Optional(Type.String({ format: 'uri', maxLength: 2048 })),
  categories: Type.Optional(Type.Array(Text(100), { maxItems: 20 })),
};

export const CustomConnectorFields = {
  ...DisplayFields,
  auth: CustomAuth,
  config_schema: Type.Optional(ConfigSchema),
  check: CustomCheck,
  api: Type.Optional(CustomApi),
};

export const CreateCustomConnectorBody = Type.Object(
  {
    key: Type.String({ pattern: CONNECTOR_KEY_PATTERN, examples: ['acme'] }),
    ...CustomConnectorFields,
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, title: 'CustomConnectorInput' },
);

export type CustomOAuth2AuthInput = Static<typeof CustomOAuth2Auth>;
export type CustomApiKeyAuthInput = Static<typeof CustomApiKeyAuth>;
export type CustomAuthInput = Static<typeof CustomAuth>;
export type CustomCheckInput = Static<typeof CustomCheck>;
export type CustomApiInput = Static<typeof CustomApi>;
export type CreateCustomConnectorInput = Static<typeof CreateCustomConnectorBody>;
/** A custom connector's full declaration without its key (a PUT replaces all of it). */
export type CustomConnectorInput = Omit<CreateCustomConnectorInput, 'key'>;

/**
 * `PUT /api/connectors/{key}`: a custom connector is replaced whole (name, auth and check required, the
 * client secret optional = keep it); a packaged one accepts only display fields and `enabled`.
 */
export const UpdateConnectorBody = Type.Object(
  {
    name: Type.Optional(DisplayFields.name),
    description: DisplayFields.description,
    icon_url: DisplayFields.icon_url,
    docs_url: DisplayFields.docs_url,
    categories: DisplayFields.categories,
    enabled: Type.Optional(Type.Boolean()),
    auth: Type.Optional(CustomAuth),
    config_schema: Type.Optional(ConfigSchema),
    check: Type.Optional(CustomCheck),
    api: Type.Optional(CustomApi),
  },
  { additionalProperties: false, title: 'UpdateConnector' },
);

export type UpdateConnectorInput = Static<typeof UpdateConnectorBody>;

/** The fields an admin may change on a packaged connector. */
export const PACKAGED_EDITABLE_FIELDS = [
  'name',
  'description',
  'icon_url',
  'docs_url',
  'categories',
  'enabled',
] as const;
