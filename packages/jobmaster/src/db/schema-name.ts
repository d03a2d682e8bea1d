import { ConfigError } from '../errors.js';

/** The schema JobMaster deploys into when none is given. */
export const DEFAULT_SCHEMA = 'jobmaster';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/**
 * Checks a schema name before it is ever placed in SQL text. Only lowercase letters, digits
 * and underscores are allowed (48 at most, so derived names such as the NOTIFY channel fit
 * PostgreSQL's 63-byte identifiers); everything else is rejected rather than escaped.
 */
export function validateSchemaName(name: string): string {
  if (!SCHEMA_NAME.test(name)) {
    throw new ConfigError(
      `Invalid schema name ${JSON.stringify(name.slice(0, 80))}: use lowercase letters, digits and underscores (at most 48, not starting with a digit)`,
    );
  }
  return name;
}

/** The schema name as a quoted SQL identifier. Validates first. */
export function quoteSchema(name: string): string {
  return `"${validateSchemaName(name)}"`;
}

/** The LISTEN/NOTIFY channel on which a schema announces new jobs. */
export function notifyChannel(schema: string): string {
  return `jm:${validateSchemaName(schema)}`;
}
