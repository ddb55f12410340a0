import { Type } from 'typebox';

export const Liveness = Type.Object({ status: Type.Literal('ok') }, { description: 'The process is up.' });
export const Readiness = Type.Object(
  { status: Type.Literal('ready'), database: Type.Literal('up') },
  { description: 'Ready: the database answers.' },
);
