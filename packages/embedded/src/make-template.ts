/**
 * `node dist/make-template.js`, run by `pnpm build`: creates the template database that new
 * embedded data directories are copied from (see template.ts). Quick when it is current.
 */
import { openDatabase } from './embedded-server.js';
import { makeTemplate } from './template.js';

const started = Date.now();
const outcome = await makeTemplate(async (pgdata) => await (await openDatabase('', pgdata)).close());
if (outcome === 'made') process.stderr.write(`Made the embedded database template in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
