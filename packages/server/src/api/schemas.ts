/** JSON Schemas of the API's request bodies: ajv validates with them and the OpenAPI document quotes them. */

const INT32 = { type: 'integer', minimum: -2147483648, maximum: 2147483647 } as const;
const DATE_TIME = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'An ISO 8601 time with its offset, e.g. 2026-12-03T09:00:00Z',
} as const;
const TASK_NAME = { type: 'string', minLength: 3, maxLength: 300, description: 'type_key.task_key, e.g. things1.foo' } as const;
const JOB_ID = { type: 'string', pattern: '^[0-9]{1,19}$', description: 'A job id (bigint, as a string)' } as const;
const STATUS = { type: 'string', enum: ['waiting', 'running', 'complete', 'failed', 'cancelled'] } as const;

export const jobRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['task'],
  properties: {
    task: TASK_NAME,
    args: { type: 'object', description: "The task's arguments; validated by the same rules as every door" },
    priority: { ...INT32, description: 'Higher runs first (Default: 0)' },
    runAt: { ...DATE_TIME, description: 'Not before this time (Default: now)' },
    jobKey: { type: 'string', minLength: 1, maxLength: 255, description: 'A name at most one waiting or running job of the task holds' },
    onConflict: { type: 'string', enum: ['raise', 'ignore', 'replace'], description: 'When the key is held (Default: raise)' },
  },
} as const;

export const jobBatchSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['jobs'],
  properties: { jobs: { type: 'array', minItems: 1, maxItems: 1000, items: jobRequestSchema } },
} as const;

export const jobFilterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    task: TASK_NAME,
    status: { type: 'array', minItems: 1, maxItems: 5, items: STATUS },
    createdFrom: DATE_TIME,
    createdTo: DATE_TIME,
    args: { type: 'object', description: 'Jobs whose arguments contain this object' },
    upToId: { ...JOB_ID, description: 'Only jobs with an id at most this (the newest a client saw)' },
  },
} as const;

export const bulkActionSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Either ids, or a filter whose matching jobs are snapshotted (at most the cap) before acting',
  properties: {
    ids: { type: 'array', minItems: 1, maxItems: 1000, items: JOB_ID },
    filter: jobFilterSchema,
  },
  oneOf: [{ required: ['ids'] }, { required: ['filter'] }],
} as const;

export const scheduleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'task', 'cron'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    task: TASK_NAME,
    cron: { type: 'string', minLength: 1, maxLength: 200 },
    args: { type: 'object' },
    timeZone: { type: 'string', maxLength: 100 },
    catchUp: { type: 'string', maxLength: 40, description: 'latest | skip | backfill:N (Default: latest)' },
  },
} as const;

export const tokenSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'scope'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    scope: { type: 'string', enum: ['read', 'operate', 'admin'] },
    expires: { type: 'string', maxLength: 20, description: 'Lifetime such as 30d, 12h, 90m or 2w (Default: never)' },
  },
} as const;

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

export const workflowStartSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    params: {
      type: 'object',
      description: "The run's parameters, checked against the workflow's params (defaults filled in) (Default: {})",
    },
    runKey: { type: 'string', minLength: 1, maxLength: 255, description: "A name for the run, unique among the workflow's running runs" },
    onConflict: { type: 'string', enum: ['raise', 'ignore', 'replace'], description: 'When the run key is held (Default: raise)' },
  },
} as const;

export const workflowRetrySchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Optional: without a body, failed, cancelled and skipped steps run again',
  properties: {
    fromStep: { type: 'string', minLength: 1, maxLength: 100, description: 'Also run this step and everything downstream of it again' },
  },
} as const;
