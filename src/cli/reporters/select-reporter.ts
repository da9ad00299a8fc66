/** What --progress accepts. */
export const PROGRESS_MODES = ['auto', 'bar', 'plain', 'json', 'none'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];
/** The reporter a run ends up with. */
export type ReporterKind = Exclude<ProgressMode, 'auto'>;

/** What decides the reporter: flags and the environment of stderr. */
export interface ReporterChoice {
  /** --progress as given (undefined when not given). */
  progress?: ProgressMode;
  /** --progress-file given: NDJSON goes to that file (the CLI refuses it with a --progress other than json/auto). */
  progressFile?: string;
  quiet: boolean;
  json: boolean;
  /** Whether stderr is a terminal. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

/** True when the environment says a CI system runs us (CI set to anything but empty, 0 or false). */
export function runningInCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * Picks the reporter. An explicit --progress (or --progress-file, which means json) always wins. Otherwise
 * --quiet and --json print no progress (stdout stays the summary alone), CI and non-terminals get plain lines,
 * and a terminal gets bars (unless TERM=dumb, which cannot redraw).
 */
export function selectReporter(c: ReporterChoice): ReporterKind {
  if (c.progress !== undefined && c.progress !== 'auto') return c.progress;
  if (c.progressFile !== undefined) return 'json';
  if (c.quiet || c.json) return 'none';
  if (runningInCi(c.env) || !c.isTTY || c.env.TERM === 'dumb') return 'plain';
  return 'bar';
}
