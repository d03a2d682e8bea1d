export {
  createApiToken,
  listApiTokens,
  revokeApiToken,
  hasActiveApiToken,
  verifyApiToken,
  hashApiToken,
  type ApiTokenInfo,
  type CreatedApiToken,
  type NewApiToken,
  type TokenCheck,
} from './api-tokens.js';
export { TOKEN_SCOPES, scopeAllows, parseTokenScope, validateTokenName, parseTokenLifetime, type TokenScope } from './token-scope.js';
export { TokenExistsError, TokenNotFoundError, InvalidTokenOptionError } from './token-errors.js';
