// A plain function registered with defineTask (decorators only apply to class members).
// With no decorator metadata, every parameter's type is declared.
import { defineTask } from 'jobmaster';

export const greet = defineTask(
  {
    description: 'Say hello, politely or not.',
    params: { name: { type: 'string', help: 'who to greet' }, polite: { type: 'boolean' } },
  },
  function greet(name: string, polite = true): string {
    return polite ? `Good day, ${name}.` : `Hi ${name}`;
  },
);
