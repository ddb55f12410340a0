/** Why a scaffold was refused. Each code is one kind of refusal; tests assert the code, people read the message. */
export const SCAFFOLD_ERROR_CODES = {
  /** The key does not match `^[a-z][a-z0-9-]{1,63}$`. */
  CFM_SCAFFOLD_BAD_KEY: 'CFM_SCAFFOLD_BAD_KEY',
  /** A first-party connector or a workspace package already uses the key or the package name. */
  CFM_SCAFFOLD_TAKEN: 'CFM_SCAFFOLD_TAKEN',
  /** The target folder (or the changeset file) already exists. */
  CFM_SCAFFOLD_EXISTS: 'CFM_SCAFFOLD_EXISTS',
  /** A flag or a value the scaffolder does not know (`--auth oidc`, a bad package name). */
  CFM_SCAFFOLD_BAD_OPTION: 'CFM_SCAFFOLD_BAD_OPTION',
  /** The scaffolder cannot find the repository it belongs to (the SDK it scaffolds against). */
  CFM_SCAFFOLD_NO_HOME: 'CFM_SCAFFOLD_NO_HOME',
} as const;

export type ScaffoldErrorCode = keyof typeof SCAFFOLD_ERROR_CODES;

/** A refusal: nothing was written. The message is one or two sentences saying what to do instead. */
export class ScaffoldError extends Error {
  readonly code: ScaffoldErrorCode;

  constructor(code: ScaffoldErrorCode, message: string) {
    super(message);
    this.name = 'ScaffoldError';
    this.code = code;
  }
}
