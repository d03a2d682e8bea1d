// When jm runs from its bundle, jobmaster is inside it. Task modules import 'jobmaster' too,
// which would load the package a second time, module by module (about 0.1 s of every
// `jm run`). Where that import would reach the very package the bundle was made from, the
// task modules get the bundle's own jobmaster entry instead: the same code, already loaded
// (loadTaskModules checks that from each task module's directory).

const BUNDLED_SDK = Symbol.for('jobmaster.cli.bundledSdk');
type Holder = { [BUNDLED_SDK]?: { module: string; replaces: string } };

/** Called by main.ts when it runs the bundle: `module` is its jobmaster entry, made from the file `replaces`. */
export function offerBundledSdk(module: string, replaces: string): void {
  (globalThis as Holder)[BUNDLED_SDK] = { module, replaces };
}

/** The substitute for `loadTaskModules` when jm runs from its bundle: jobmaster, as the bundle has it. */
export function bundledSdkSubstitute(): { specifier: string; replaces: string; module: string } | undefined {
  const offered = (globalThis as Holder)[BUNDLED_SDK];
  return offered && { specifier: 'jobmaster', ...offered };
}
