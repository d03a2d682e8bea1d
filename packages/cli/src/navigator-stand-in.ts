// pg decides when it loads whether it runs in Cloudflare Workers: where no `navigator` exists
// (Node 20; Node 21+ has one) it constructs a `Response`, which loads Node's whole fetch
// implementation, about 20 ms of every command's start-up. A stand-in with Node 21's own
// value answers that question; it exists only while the program's modules load.

const STAND_IN = Symbol.for('jobmaster.cli.navigatorStandIn');
type Holder = { navigator?: unknown; [STAND_IN]?: true };

/** Defines `navigator` as Node 21+ does, if this Node has none. */
export function standInNavigator(): void {
  const holder = globalThis as Holder;
  if (typeof holder.navigator !== 'undefined') return;
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` },
    configurable: true,
    writable: true,
  });
  holder[STAND_IN] = true;
}

/** Removes the stand-in (once the modules that look at it are loaded). */
export function removeNavigatorStandIn(): void {
  const holder = globalThis as Holder;
  if (!holder[STAND_IN]) return;
  delete holder.navigator;
  delete holder[STAND_IN];
}
