export {
  taskGraphFromCode,
  type TaskGraph,
  type TaskGraphTask,
  type TaskGraphDependency,
  type TaskGraphWorkflow,
  type TaskGraphStep,
} from './task-graph.js';
export { readDeployedTaskGraph } from './deployed-task-graph.js';
export { focusTaskGraph, selectGraphWorkflow } from './focus-task-graph.js';
export { renderTaskGraph, parseGraphFormat, GRAPH_FORMATS, type GraphFormat } from './render-task-graph.js';
export { describeDependency, describeDependencyArgument, describeHours, describeTaskFacts } from './dependency-label.js';
export { TaskNotInGraphError } from './graph-errors.js';
