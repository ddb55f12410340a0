import { Type } from 'typebox';

export const ApiInfo = Type.Object(
  {
    name: Type.String({ examples: ['Connector Framework Manager'] }),
    version: Type.String({ examples: ['0.1.0'] }),
    mcp: Type.Object(
      {
        url: Type.String({ format: 'uri', examples: ['http://localhost:3001/mcp'] }),
        protocol_version: Type.String({ examples: ['2025-11-25'] }),
      },
      {
        description:
          "The Model Context Protocol endpoint (Streamable HTTP, stateless) where agents use the actions of a user's connections as tools, and the newest protocol revision it speaks.",
      },
    ),
  },
  { description: "The API name and version, and the agents' endpoint." },
);

export const Me = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String({ format: 'email' }),
    role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  },
  { description: 'The authenticated user.' },
);
