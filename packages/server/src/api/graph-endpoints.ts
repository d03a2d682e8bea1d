import { focusTaskGraph, parseGraphFormat, readDeployedTaskGraph, renderTaskGraph, selectGraphWorkflow, type TaskGraph } from 'jobmaster';
import type { ServerContext } from '../server-env.js';
import { ApiError } from '../http/api-error.js';
import type { Endpoint } from './endpoint.js';

const GRAPH_PARAMETERS = {
  task: 'Only this task (type_key.task_key) and its upstream and downstream',
  workflow: 'Only this workflow',
  format: 'json (Default), mermaid or dot',
} as const;

/** The deployed graph narrowed as `task` / `workflow` ask (the same choices as `jm graph`). */
export async function deployedGraph(ctx: ServerContext, narrow: { task?: string; workflow?: string }): Promise<TaskGraph> {
  let graph = await readDeployedTaskGraph(ctx.pool, ctx.schema);
  if (narrow.workflow) graph = selectGraphWorkflow(graph, narrow.workflow);
  if (narrow.task) graph = focusTaskGraph(graph, narrow.task);
  return graph;
}

export const graphEndpoints: Endpoint[] = [
  {
    method: 'get',
    path: '/graph',
    scope: 'read',
    summary: 'The deployed task dependency graph and workflows, as `jm graph --deployed` prints it',
    query: GRAPH_PARAMETERS,
    returns: 'TaskGraph (format=json), or Mermaid / DOT text',
    async handle({ c, ctx }) {
      const query = new URL(c.req.url).searchParams;
      for (const key of query.keys()) {
        if (!(key in GRAPH_PARAMETERS)) {
          throw new ApiError(
            400,
            'JM_INVALID_REQUEST',
            `Unknown query parameter ${JSON.stringify(key.slice(0, 40))} (use task, workflow, format)`,
          );
        }
      }
      const format = parseGraphFormat(query.get('format') || 'json');
      const task = query.get('task') || undefined;
      const workflow = query.get('workflow') || undefined;
      if (task && workflow) throw new ApiError(400, 'JM_INVALID_REQUEST', 'Give task or workflow, not both');
      const graph = await deployedGraph(ctx, { ...(task && { task }), ...(workflow && { workflow }) });
      if (format === 'json') return c.json(graph);
      c.header('Content-Type', 'text/plain; charset=utf-8');
      return c.body(renderTaskGraph(graph, format));
    },
  },
];
