import { JobMasterError } from '../errors.js';

/** A token name already in use. */
export class TokenExistsError extends JobMasterError {
  override readonly code = 'JM_TOKEN_EXISTS';
  constructor(readonly tokenName: string) {
    super(
      `A token named ${JSON.stringify(tokenName)} already exists: revoke it first (jm token revoke ${tokenName}) or choose another name`,
    );
  }
}

/** No token with this name. */
export class TokenNotFoundError extends JobMasterError {
  override readonly code = 'JM_TOKEN_NOT_FOUND';
  constructor(readonly tokenName: string) {
    super(`No token named ${JSON.stringify(tokenName)} (run "jm token list" to see them)`);
  }
}

/** A token name, scope or lifetime that cannot be used as written. */
export class InvalidTokenOptionError extends JobMasterError {
  override readonly code = 'JM_INVALID_TOKEN_OPTION';
}
