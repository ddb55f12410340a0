/** True for a non-null, non-array object: a JSON object read from an untyped source. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
