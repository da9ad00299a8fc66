#!/usr/bin/env node
// The import runs in a child process with glibc's malloc tuned (see src/cli/malloc-tuning.ts); anything else, and
// an import under an inspector or off Linux, runs here.
import { fileURLToPath } from 'node:url';
import { runInTunedChild, tunedEnvironment } from '../dist/cli/malloc-tuning.js';

const argv = process.argv.slice(2);
const env = tunedEnvironment(argv, process.env, process.platform, process.execArgv);
if (env === undefined) {
  const { main } = await import('../dist/cli/main.js');
  await main(argv);
} else {
  process.exitCode = await runInTunedChild(fileURLToPath(import.meta.url), argv, env);
}
