import { TaskRegistrationError } from '../errors.js';
import { readParameters, UnsupportedParameterError, type SourceParameter } from './function-signature.js';
import { isJobContextClass } from './job-context.js';
import { isJsonValue, isOfType, jsonEquals, NotALiteralError, parseLiteral, typeOfValue } from './json-values.js';
import type { JsonType, JsonValue, ParameterDefinition } from './task-definition.js';
import { KEY_PATTERN, type ParamOptions } from './task-options.js';

/** The task-facing signature of a function. */
export interface TaskSignature {
  parameters: ParameterDefinition[];
  /** Position of the JobContext parameter, or null. */
  contextPosition: number | null;
  /** Number of positions to pass when calling. */
  arity: number;
}

/** Everything known about a function whose signature is being read. */
export interface SignatureInput {
  /** `typeKey.taskKey`, for messages. */
  label: string;
  fn: Function;
  /** `design:paramtypes`, or undefined when the compiler emitted none. */
  paramTypes: readonly unknown[] | undefined;
  /** True for `defineTask`: no metadata exists, every type must be declared. */
  plainFunction: boolean;
  params: Readonly<Record<string, ParamOptions>>;
  /** `@param` texts from TSDoc. */
  docHelp: ReadonlyMap<string, string>;
  sourceFile: string | null;
}

/**
 * Determines a task's parameters from its source text (names, defaults), its runtime
 * metadata (types) and its declarations. Any doubt is a TaskRegistrationError naming
 * the task: a wrong or empty signature is never produced.
 */
export function readSignature(input: SignatureInput): TaskSignature {
  const { label, params } = input;
  const fail = (problem: string): never => {
    throw new TaskRegistrationError(label, problem);
  };
  let source: SourceParameter[];
  try {
    source = readParameters(input.fn);
  } catch (error) {
    if (error instanceof UnsupportedParameterError) return fail(error.message);
    throw error;
  }
  const names = source.map((p) => p.name);
  for (const declared of Object.keys(params)) {
    if (!names.includes(declared)) {
      fail(`params declares "${declared}", which is not a parameter (parameters: ${names.join(', ') || 'none'})`);
    }
  }
  if (input.plainFunction) {
    const undeclared = names.filter((n) => params[n]?.type === undefined);
    if (undeclared.length > 0) {
      fail(
        `plain functions carry no type metadata: declare the type of ${quoteList(undeclared)} in params, e.g. params: { ${undeclared[0]}: { type: 'string' } }`,
      );
    }
  } else if (input.paramTypes === undefined && source.length > 0) {
    const undeclared = names.filter((n) => params[n]?.type === undefined);
    if (undeclared.length > 0) {
      fail(
        `its parameter types are unknown: no design:paramtypes metadata was emitted` +
          `${input.sourceFile ? ` for ${input.sourceFile}` : ''}. Compile with "experimentalDecorators" and ` +
          `"emitDecoratorMetadata", load task files with jiti (jm does), or declare the type of ` +
          `${quoteList(undeclared)} in params`,
      );
    }
  } else if (input.paramTypes !== undefined && input.paramTypes.length !== source.length) {
    fail(`its metadata lists ${input.paramTypes.length} parameters but its source has ${source.length}`);
  }

  const parameters: ParameterDefinition[] = [];
  let contextPosition: number | null = null;
  source.forEach((param, position) => {
    const declared = params[param.name] ?? {};
    const meta = input.paramTypes?.[position];
    if (declared.type === 'context' || (declared.type === undefined && isJobContextClass(meta))) {
      if (position !== source.length - 1) fail(`the JobContext parameter "${param.name}" must be the last parameter`);
      if (param.defaultText !== null || declared.selectFrom !== undefined || 'default' in declared) {
        fail(`the JobContext parameter "${param.name}" cannot have a default or select-from values`);
      }
      contextPosition = position;
      return;
    }
    if (!KEY_PATTERN.test(param.name)) {
      fail(`parameter name "${param.name}" must match ${String(KEY_PATTERN)}`);
    }
    const defaultValue = readDefault(param, declared, fail);
    const type = resolveType(param.name, declared, meta, defaultValue, fail);
    const selectFrom = readSelectFrom(param.name, type, declared, fail);
    const definition: ParameterDefinition = {
      name: param.name,
      position,
      type,
      required: defaultValue === undefined,
      selectFrom,
      help: declared.help ?? input.docHelp.get(param.name) ?? null,
    };
    if (defaultValue !== undefined) {
      // null stands for "not given" in any optional parameter (`limit: number | null = null`).
      if (defaultValue !== null && !isOfType(defaultValue, type)) {
        fail(`default of "${param.name}" is ${JSON.stringify(defaultValue)}, which is not ${article(type)}`);
      }
      if (defaultValue !== null && selectFrom !== null && !selectFrom.some((v) => jsonEquals(v, defaultValue))) {
        fail(`default of "${param.name}" (${JSON.stringify(defaultValue)}) is not one of its select-from values`);
      }
      definition.default = defaultValue;
    }
    parameters.push(definition);
  });
  return { parameters, contextPosition, arity: source.length };
}

type Fail = (problem: string) => never;

function readDefault(param: SourceParameter, declared: ParamOptions, fail: Fail): JsonValue | undefined {
  const hasDeclared = 'default' in declared && declared.default !== undefined;
  if (hasDeclared && !isJsonValue(declared.default)) {
    fail(`params.${param.name}.default must be a JSON value`);
  }
  if (param.defaultText === null) return hasDeclared ? declared.default : undefined;
  let literal: JsonValue;
  try {
    literal = parseLiteral(param.defaultText);
  } catch (error) {
    if (!(error instanceof NotALiteralError)) throw error;
    if (hasDeclared) return declared.default;
    return fail(
      `default of parameter "${param.name}" (${param.defaultText}) must be a literal; ` +
        `declare it in params: { ${param.name}: { default: ... } }`,
    );
  }
  if (hasDeclared && !jsonEquals(literal, declared.default!)) {
    fail(`parameter "${param.name}" defaults to ${param.defaultText} in code but params declares ${JSON.stringify(declared.default)}`);
  }
  return literal;
}

const META_TYPES = new Map<unknown, JsonType>([
  [String, 'string'],
  [Number, 'number'],
  [Boolean, 'boolean'],
  [Array, 'array'],
]);

function resolveType(name: string, declared: ParamOptions, meta: unknown, defaultValue: JsonValue | undefined, fail: Fail): JsonType {
  const fromMeta = META_TYPES.get(meta);
  const declaredType = declared.type;
  if (declaredType !== undefined) {
    if (declaredType === 'context') return fail(`parameter "${name}" cannot be the context`);
    const compatible = fromMeta === undefined || fromMeta === declaredType || (fromMeta === 'number' && declaredType === 'integer');
    if (!compatible) {
      fail(`params declares "${name}" as ${declaredType} but its TypeScript type is ${fromMeta}`);
    }
    if (fromMeta === undefined && typeof meta === 'function' && meta !== Object && declaredType !== 'object') {
      fail(`params declares "${name}" as ${declaredType} but its TypeScript type is the class ${meta.name}`);
    }
    return declaredType;
  }
  if (fromMeta !== undefined) return fromMeta;
  if (meta === undefined && defaultValue !== undefined && defaultValue !== null) {
    // No annotation: TypeScript typed the parameter from its literal default, and so do we.
    const inferred = typeOfValue(defaultValue);
    return inferred === 'integer' ? 'number' : inferred;
  }
  const fromValues = commonType(declared.selectFrom);
  if ((meta === Object || meta === undefined) && fromValues !== null) {
    // Select-from values pin the type even where metadata cannot (jiti emits Object for type aliases).
    return fromValues;
  }
  const what =
    meta === Object || meta === undefined
      ? 'has no single JSON type at runtime (any, unknown, a union, a type alias, an interface or Record)'
      : `has the class type ${(meta as Function).name || 'anonymous'}, which is not a JSON type`;
  const example = defaultValue !== undefined && defaultValue !== null ? typeOfValue(defaultValue) : 'string';
  return fail(`parameter "${name}" ${what}: declare its type in params, e.g. params: { ${name}: { type: '${example}' } }`);
}

/** The one JSON type shared by all values (integers and numbers give number), or null. */
function commonType(values: readonly JsonValue[] | undefined): JsonType | null {
  if (!Array.isArray(values) || values.length === 0 || !values.every(isJsonValue)) return null;
  const types = new Set(values.map(typeOfValue));
  if (types.size === 2 && types.has('integer') && types.has('number')) return 'number';
  return types.size === 1 ? [...types][0]! : null;
}

function readSelectFrom(name: string, type: JsonType, declared: ParamOptions, fail: Fail): JsonValue[] | null {
  const values = declared.selectFrom;
  if (values === undefined) return null;
  if (!Array.isArray(values) || values.length === 0) fail(`select-from values of "${name}" must be a non-empty array`);
  const result: JsonValue[] = [];
  for (const value of values) {
    if (!isJsonValue(value) || !isOfType(value, type)) {
      fail(`select-from value ${JSON.stringify(value)} of "${name}" is not ${article(type)}`);
    }
    if (result.some((v) => jsonEquals(v, value))) fail(`select-from values of "${name}" list ${JSON.stringify(value)} twice`);
    result.push(value);
  }
  return result;
}

function article(type: JsonType): string {
  return type === 'integer' || type === 'object' || type === 'array' ? `an ${type}` : type === 'null' ? 'null' : `a ${type}`;
}

function quoteList(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}
