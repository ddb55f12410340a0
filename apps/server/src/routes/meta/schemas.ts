import { Type } from 'typebox';

export const ApiInfo = Type.Object(
  {
    name: Type.String({ examples: ['Connector Framework Manager'] }),
    version: Type.String({ examples: ['0.1.0'] }),
  },
  { description: 'The API name and version.' },
);

export const Me = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String({ format: 'email' }),
    role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  },
  { description: 'The authenticated user.' },
);
