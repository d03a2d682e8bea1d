export {
  taskGraphFromCode,
  type TaskGraph,
  type TaskGraphTask,
  type TaskGraphDependency,
  type TaskGraphChain,
  type TaskGraphWorkflow,
  type TaskGraphStep,
} from './task-graph.js';
export { readDeployedTaskGraph } from './deployed-task-graph.js';
export { focusTaskGraph, selectGraphWorkflow } from './focus-task-graph.js';
export { renderTaskGraph, parseGraphFormat, GRAPH_FORMATS, NEXT_LABEL, type GraphFormat } from './render-task-graph.js';
export { describeDependency, describeDependencyArgument, describeHours, describeTaskFacts } from './dependency-label.js';
export { TaskNotInGraphError } from './graph-errors.js';
