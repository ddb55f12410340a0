import { Type } from 'typebox';

export const Liveness = Type.Object({ status: Type.Literal('ok') });
export const Readiness = Type.Object({ status: Type.Literal('ready'), database: Type.Literal('up') });
