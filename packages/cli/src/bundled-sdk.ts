// When jm runs from its bundle, jobmaster is inside it. Task modules import 'jobmaster' too,
// which would load the package a second time, module by module (about 0.1 s of every
// `jm run`, 0.2 s on Node 20). Where that import would reach the very package the bundle was
// made from, the task modules get the bundle's own jobmaster entry instead: the same code,
// already loaded. Two ways lead there:
// - modules jiti compiles (TypeScript) get it through jiti's alias (loadTaskModules checks the
//   package from each task module's directory);
// - modules Node imports itself (plain JavaScript, which jiti hands to Node, and whatever they
//   import) get it through a resolve hook, where Node has in-thread hooks (22.15+, 24). Node 20
//   has only hooks on a thread of their own, whose start (about 70 ms) costs most of the saving.
import module from 'node:module';
import { pathToFileURL } from 'node:url';

const BUNDLED_SDK = Symbol.for('jobmaster.cli.bundledSdk');
type Holder = { [BUNDLED_SDK]?: { module: string; replaces: string } };

type ResolveHook = (
  specifier: string,
  context: unknown,
  nextResolve: (specifier: string, context: unknown) => { url: string },
) => { url: string; shortCircuit?: boolean };
type SyncHooks = { registerHooks?: (hooks: { resolve: ResolveHook }) => unknown };

/** Called by main.ts when it runs the bundle: `sdk` is its jobmaster entry, made from the file `replaces`. */
export function offerBundledSdk(sdk: string, replaces: string): void {
  (globalThis as Holder)[BUNDLED_SDK] = { module: sdk, replaces };
  const replacedUrl = pathToFileURL(replaces).href;
  const sdkUrl = pathToFileURL(sdk).href;
  (module as SyncHooks).registerHooks?.({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      return resolved.url === replacedUrl ? { url: sdkUrl, shortCircuit: true } : resolved;
    },
  });
}

/** The substitute for `loadTaskModules` when jm runs from its bundle: jobmaster, as the bundle has it. */
export function bundledSdkSubstitute(): { specifier: string; replaces: string; module: string } | undefined {
  const offered = (globalThis as Holder)[BUNDLED_SDK];
  return offered && { specifier: 'jobmaster', ...offered };
}
