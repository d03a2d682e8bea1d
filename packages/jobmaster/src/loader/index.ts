export { loadTaskModules } from './load-task-modules.js';
export type { LoadedTaskModules, LoadTaskModulesOptions } from './load-task-modules.js';
