/**
 * Thrown by a command that must end the process now with `exitCode`, even though work may
 * still hold it open (a job function that ignored its abort signal, a second Ctrl-C).
 * main.ts prints `message` when there is one and exits.
 */
export class ExitRequest extends Error {
  constructor(
    readonly exitCode: number,
    message = '',
  ) {
    super(message);
    this.name = 'ExitRequest';
  }
}
