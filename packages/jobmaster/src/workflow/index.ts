export { defineWorkflow, type WorkflowDeclaration, type WorkflowStepDeclaration } from './define-workflow.js';
export { loadWorkflows } from './load-workflows.js';
export { loadWorkflowFiles, parseWorkflowText, MAX_WORKFLOW_DEPTH, MAX_WORKFLOW_FILE_BYTES } from './load-workflow-files.js';
export { validateWorkflows, resolveTask, type ResolvedWorkflow, type ResolvedWorkflowStep } from './validate-workflows.js';
export { findCycle, topologicalOrder } from './workflow-graph.js';
export { normalizeWorkflow, type WorkflowDocument, type WorkflowStepDocument } from './normalize-workflow.js';
export { checkWorkflowDocument, WORKFLOW_SCHEMA_FILE } from './workflow-schema.js';
export {
  MAX_WORKFLOW_STEPS,
  type WorkflowDefinition,
  type WorkflowStep,
  type WorkflowParam,
  type WorkflowSchedule,
} from './workflow-definition.js';
export { startWorkflow, startWorkflows, type WorkflowStartRequest, type WorkflowStartResult } from './start-workflow.js';
export { planWorkflowRun, type WorkflowRunPlan, type PlannedStep } from './plan-workflow-run.js';
export { declaredWorkflows } from './define-workflow.js';
export {
  listWorkflowRuns,
  getWorkflowRun,
  cancelWorkflowRun,
  retryWorkflowRun,
  countWorkflowRuns,
  parseRunId,
  WORKFLOW_RUN_STATUSES,
  type WorkflowRunStatus,
  type WorkflowRunSummary,
  type WorkflowRunStep,
  type WorkflowRunDetail,
} from './workflow-runs.js';
export { listDeployedWorkflows, getDeployedWorkflow, type DeployedWorkflow, type DeployedWorkflowStep } from './deployed-workflows.js';
export { readWorkflowRunStates, currentRunCursor, type WorkflowRunState } from './run-changes.js';
