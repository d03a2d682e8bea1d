import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ApiError } from '../http/api-error.js';

// Strict, but `required` inside oneOf names properties declared one level up (the bulk actions' ids | filter).
const ajv = new Ajv({ allErrors: false, strict: true, strictRequired: false });
const compiled = new Map<object, ValidateFunction>();

function describe(error: ErrorObject): string {
  const where = error.instancePath ? `body${error.instancePath.replaceAll('/', '.')}` : 'body';
  if (error.keyword === 'additionalProperties') {
    return `${where} has an unknown field ${JSON.stringify((error.params as { additionalProperty: string }).additionalProperty)}`;
  }
  if (error.keyword === 'oneOf')
    return `${where} must have exactly one of the alternatives (${error.parentSchema?.description ?? 'see the OpenAPI document'})`;
  return `${where} ${error.message ?? 'is invalid'}`;
}

/** Checks a parsed body against a JSON Schema; a mismatch is a 400 naming the field and the problem. */
export function validateBody<T>(schema: object, body: unknown): T {
  const validate = compileSchema(schema);
  if (!validate(body)) throw new ApiError(400, 'JM_INVALID_REQUEST', describe(validate.errors![0]!));
  return body as T;
}

/** Compiles a schema once (done for every endpoint when the handler is created, so a bad schema fails at start). */
export function compileSchema(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}
