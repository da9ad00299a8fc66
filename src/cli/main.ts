import { runInTunedChild, stopRequests } from './malloc-tuning.js';
import { runCli } from './program.js';

/** Process entry: wires signals to an abort, runs the CLI, sets the exit status (the only place that does). */
export async function main(argv: string[]): Promise<void> {
  const controller = new AbortController();
  stopRequests((again) => {
    if (again) {
      // A second Ctrl-C: leave now, showing the cursor a progress bar may have hidden.
      if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\n');
      process.exit(130);
    }
    controller.abort();
  });
  const relaunch = (env: NodeJS.ProcessEnv): Promise<number> => runInTunedChild(process.argv[1], argv, env, controller.signal);
  process.exitCode = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal, relaunch });
}
