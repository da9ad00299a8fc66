import { accessSync, constants, createWriteStream, openSync, realpathSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { INPUT_ENCODINGS, type InputGroup, MODES, type StreamingConfig, normalizeConfig, parseGroupSpec } from '../config/streaming-config.js';
import { ImportError } from '../errors/import-error.js';
import { exportCsv } from '../read/export-csv.js';
import { type ColumnarExportFormat, exportColumnar } from '../read/export-columnar.js';
import { PARQUET_CODECS, type ParquetCodec } from '../read/parquet-writer.js';
import { storeInfo } from '../read/store-info.js';
import { verifyStore } from '../read/verify-store.js';
import { planImportRun, runImport } from '../exec/run-import.js';
import { VERSION } from '../version.js';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { tunedEnvironment } from './malloc-tuning.js';
import { formatInfo, formatPlan, formatSummary } from './format-output.js';
import { createNdjsonReporter } from './reporters/ndjson-reporter.js';
import { createPlainReporter } from './reporters/plain-reporter.js';
import { type Reporter, silentReporter } from './reporters/reporter.js';
import { PROGRESS_MODES, type ProgressMode, selectReporter } from './reporters/select-reporter.js';

/** Streams and environment a CLI run uses; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** Runs this command line again in a child process with `env` (see malloc-tuning.ts); absent in-process (tests). */
  relaunch?: (env: NodeJS.ProcessEnv) => Promise<number>;
}

const EXAMPLES = `
Examples:
  $ graph-import persons.csv companies.csv knows.csv          # classified by header, into ./graph.db
  $ graph-import --nodes Person=persons_header.csv,persons_part1.csv --relationships KNOWS=knows.csv --into social.db
  $ graph-import --delimiter '|' data/*.csv --into lsqb.db --overwrite
  $ graph-import info social.db --json
  $ graph-import verify social.db
  $ graph-import export social.db --out dump/
  $ graph-import export social.db --format parquet --out dump/   # or --format arrow; re-importable as is
  $ graph-import nodes/Person.parquet rels/KNOWS.arrow more.csv   # Arrow IPC, Parquet and CSV, mixed`;

const collect = (kind: 'node' | 'relationship') => (value: string, previous: InputGroup[] = []): InputGroup[] => [...previous, parseGroupSpec(kind, value)];

/** Builds the commander program; `setExit` receives the exit status of whatever command ran. */
export function createProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('graph-import')
    .description('Bulk-import property graphs from CSV, Arrow IPC and Parquet files into an on-disk columnar graph store (Arrow IPC columns, CSR adjacency).')
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    // Parser errors carry the same code prefix as every other failure, so scripts can match on GI_USAGE.
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: (s, write) => write(s.replace(/^error: /, 'GI_USAGE: ')) })
    .exitOverride();

  program.command('import', { isDefault: true })
    .description('import node and relationship files (the default command)')
    .argument('[files...]', 'CSV, Arrow IPC or Parquet files (told by their first bytes), each classified as nodes or relationships by its header or column names')
    .option('--nodes <[Label=]file[,file...]>', 'node files; the first file of the list holds the header (repeatable)', collect('node'))
    .option('--relationships <[TYPE=]file[,file...]>', 'relationship files (repeatable)', collect('relationship'))
    .option('--into <dir>', 'store directory to create', 'graph.db')
    .option('--overwrite', 'replace an existing store (only after the new one is complete)', false)
    .option('--delimiter <char>', 'field delimiter (\\t or tab for tabs); detected per file when not given')
    .option('--array-delimiter <char>', 'separator of array elements', ';')
    .option('--quote <char>', 'quote character; detected (" or \') from the files when not given')
    .addOption(new Option('--id-type <type>', 'node ID type: auto infers integer or string per ID space').choices(['auto', 'string', 'integer']).default('auto'))
    .option('--batch-size <rows>', 'rows per batch', '100000')
    .option('--threads <n>', 'worker threads, 1 to 256 (default: available parallelism)')
    .option('--streaming-threshold <bytes>', 'inputs totalling at least this size take the streaming path; bytes or e.g. 100MiB, 1GB, 512k (default: 100MiB)')
    .option('--memory-budget <bytes>', 'memory for the whole process, ID index included; at least 16MiB (default: 500MiB)')
    .addOption(new Option('--mode <mode>', 'execution path: auto chooses by --streaming-threshold (default: auto)').choices(MODES))
    .option('--max-bad-rows <n|p%>', 'bad rows (wrong field count, bad value, missing ID, and duplicates or dangling relationships without their --skip flag) skipped before the import fails: a count or a percentage of the rows read (default: 0, fail on the first)')
    .option('--skip-duplicate-nodes', 'skip a node whose ID was already seen in its ID space (the first wins); not counted against --max-bad-rows', false)
    .option('--skip-bad-relationships', 'skip a relationship whose start or end node does not exist; not counted against --max-bad-rows', false)
    .option('--ignore-extra-columns', 'drop fields past the header\'s width instead of rejecting the row', false)
    .option('--auto-skip-subsequent-headers', 'pass over data lines that repeat the header line exactly (concatenated files); counted in the summary', false)
    .option('--rejects <path>', 'write every skipped row to <path> (NDJSON: file, line, byteOffset, column, code, message, raw) and, per input file, a re-importable CSV of them under <path>.rows/')
    .addOption(new Option('--input-encoding <encoding>', 'text encoding of the input files; latin1 is transcoded to UTF-8 (default: utf8, checked)').choices(INPUT_ENCODINGS))
    .option('--dry-run', 'read headers and samples, print the plan (with --json: as JSON), write nothing', false)
    .option('--json', 'print the summary as one JSON object on stdout (and no progress unless --progress is given)', false)
    .addOption(new Option('--progress <mode>', 'progress on stderr: bar (terminal), plain (timestamped lines), json (NDJSON events), none; auto picks bar on a terminal, plain otherwise or when CI is set').choices(PROGRESS_MODES))
    .option('--progress-file <path>', 'write NDJSON progress events to this file instead of stderr (implies --progress json)')
    .option('-q, --quiet', 'print nothing but errors', false)
    .addHelpText('after', EXAMPLES)
    .action(async (files: string[], opts: Record<string, unknown>) => {
      const inputs: InputGroup[] = [
        ...files.map((f): InputGroup => ({ kind: 'auto', files: [f] })),
        ...((opts.nodes as InputGroup[] | undefined) ?? []),
        ...((opts.relationships as InputGroup[] | undefined) ?? []),
      ];
      const config = normalizeConfig({
        inputs,
        into: opts.into as string,
        overwrite: opts.overwrite as boolean,
        delimiter: opts.delimiter as string | undefined,
        arrayDelimiter: opts.arrayDelimiter as string,
        quote: opts.quote as string | undefined,
        idType: opts.idType as string,
        batchSize: opts.batchSize as string,
        threads: opts.threads as string | undefined,
        streamingThreshold: opts.streamingThreshold as string | undefined,
        memoryBudget: opts.memoryBudget as string | undefined,
        mode: opts.mode as string | undefined,
        maxBadRows: opts.maxBadRows as string | undefined,
        skipDuplicateNodes: opts.skipDuplicateNodes as boolean,
        skipBadRelationships: opts.skipBadRelationships as boolean,
        ignoreExtraColumns: opts.ignoreExtraColumns as boolean,
        autoSkipSubsequentHeaders: opts.autoSkipSubsequentHeaders as boolean,
        rejects: opts.rejects as string | undefined,
        inputEncoding: opts.inputEncoding as string | undefined,
      });
      if (config.rejects !== undefined) checkOutputPath('--rejects', config.rejects, config);
      if (opts.dryRun === true) {
        const plan = await planImportRun(config, { signal: io.signal });
        io.stdout.write(opts.json === true ? `${JSON.stringify({ config, plan }, null, 2)}\n` : formatPlan(plan));
        return;
      }
      if (io.relaunch !== undefined) {
        const tuned = tunedEnvironment(io.env, process.platform, process.execArgv);
        if (tuned !== undefined) {
          setExit(await io.relaunch(tuned));
          return;
        }
      }
      const reporter = await createReporter(io, opts, config);
      let closed = false;
      const close = async (): Promise<void> => {
        if (closed) return;
        closed = true;
        await reporter.close();
      };
      try {
        const result = await runImport(config, { onEvent: (e) => reporter.onEvent(e), signal: io.signal });
        await close();
        if (opts.json === true) io.stdout.write(`${JSON.stringify(result)}\n`);
        else if (opts.quiet !== true) io.stdout.write(formatSummary(result));
        // Scripts must be able to tell a complete import from one that skipped rows.
        if (result.skipped.rows > 0) setExit(EXIT_CODES.rejected);
      } finally {
        await close();
      }
    });

  program.command('info')
    .description('print the schema and counts of a store')
    .argument('<db>', 'store directory')
    .option('--json', 'print as JSON', false)
    .action(async (db: string, opts: { json: boolean }) => {
      const info = await storeInfo(db);
      io.stdout.write(opts.json ? `${JSON.stringify(info, null, 2)}\n` : formatInfo(info));
    });

  program.command('verify')
    .description('check checksums, counts and CSR invariants of a store')
    .argument('<db>', 'store directory')
    .option('--json', 'print the report as JSON', false)
    .action(async (db: string, opts: { json: boolean }) => {
      const report = await verifyStore(db);
      if (opts.json) io.stdout.write(`${JSON.stringify({ ok: report.ok, checks: report.checks, problems: report.problems.map((p) => p.toJSON()) })}\n`);
      else if (report.ok) io.stdout.write(`ok: ${db} passed ${report.checks} checks\n`);
      for (const p of report.problems) io.stderr.write(`${p.format()}\n`);
      if (!report.ok) setExit(EXIT_CODES.io);
    });

  program.command('export')
    .description('write every table as CSV, Arrow IPC or Parquet in the import column conventions (export -> import round-trips)')
    .argument('<db>', 'store directory')
    .requiredOption('--out <dir>', 'output directory')
    .addOption(new Option('--format <format>', 'file format').choices(['csv', 'arrow', 'parquet']).default('csv'))
    .option('--delimiter <char>', 'field delimiter (csv)', ',')
    .option('--array-delimiter <char>', 'separator of array elements (csv)', ';')
    .addOption(new Option('--compression <codec>', 'Parquet compression (parquet)').choices([...PARQUET_CODECS]).default('snappy'))
    .action(async (db: string, opts: { out: string; format: 'csv' | ColumnarExportFormat; delimiter: string; arrayDelimiter: string; compression: ParquetCodec }) => {
      const result = opts.format === 'csv' ? await exportCsv(db, opts) : await exportColumnar(db, { out: opts.out, format: opts.format, compression: opts.compression });
      for (const f of result.files) io.stdout.write(`${f.path}\t${f.kind}\t${f.rows}\n`);
    });
  return program;
}

/** The reporter the flags and stderr ask for (see selectReporter). */
async function createReporter(io: CliIo, opts: Record<string, unknown>, config: StreamingConfig): Promise<Reporter> {
  const progressFile = opts.progressFile as string | undefined;
  if (progressFile !== undefined) checkProgressFile(progressFile, opts.progress as ProgressMode | undefined, config);
  const kind = selectReporter({
    progress: opts.progress as ProgressMode | undefined, progressFile, quiet: opts.quiet === true, json: opts.json === true,
    isTTY: (io.stderr as NodeJS.WriteStream).isTTY === true, env: io.env,
  });
  switch (kind) {
    case 'none':
      return silentReporter;
    case 'bar': {
      // Loaded only for a terminal: ora and cli-progress take ~0.15 s to load, which scripts and CI runs never use.
      const { createBarReporter } = await import('./reporters/bar-reporter.js');
      return createBarReporter(io.stderr as NodeJS.WriteStream);
    }
    case 'plain':
      return createPlainReporter(io.stderr);
    case 'json':
      if (progressFile === undefined) return createNdjsonReporter(io.stderr, false);
      // Opened at the first event, i.e. once the inputs were read and the store could be created: an import that
      // fails up front leaves no progress file behind.
      return createNdjsonReporter(() => {
        try {
          return createWriteStream('', { fd: openSync(progressFile, 'w') });
        } catch (err) {
          throw new ImportError('GI_OUTPUT_UNWRITABLE', `cannot write the progress file: ${(err as Error).message}`, { file: progressFile, cause: err });
        }
      }, true);
  }
}

/**
 * Refuses a --progress-file that would destroy data (an input file, or a path inside the store being replaced),
 * one that cannot be created, and one combined with a --progress mode that is not json.
 */
function checkProgressFile(path: string, progress: ProgressMode | undefined, config: StreamingConfig): void {
  if (progress !== undefined && progress !== 'json' && progress !== 'auto') {
    throw new ImportError('GI_INVALID_OPTION', `--progress-file writes NDJSON events; it cannot be combined with --progress ${progress}`, {
      hint: 'drop --progress, or use --progress json',
    });
  }
  checkOutputPath('--progress-file', path, config);
}

/** Refuses an output path that is an input file or inside the store, or whose directory cannot be written. */
function checkOutputPath(flag: string, path: string, config: StreamingConfig): void {
  const target = realOrResolved(path);
  const inputs = config.inputs.flatMap((g) => g.files).map(realOrResolved);
  if (inputs.includes(target)) {
    throw new ImportError('GI_INVALID_OPTION', `${flag} ${path} is one of the input files`, { file: path, hint: 'write it to another file' });
  }
  const store = resolve(config.into);
  if (target === store || target.startsWith(`${store}${sep}`)) {
    throw new ImportError('GI_INVALID_OPTION', `${flag} ${path} is inside the store directory ${config.into}`, { file: path, hint: 'write it outside the store' });
  }
  try {
    accessSync(dirname(target), constants.W_OK);
  } catch (err) {
    throw new ImportError('GI_OUTPUT_UNWRITABLE', `cannot write ${flag} ${path}: ${(err as Error).message}`, { file: path, cause: err });
  }
}

/** The real path of an existing file (symlinks resolved), else the absolute path. */
function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path); // does not exist (yet): nothing to resolve
  }
}

/** Runs the CLI on `argv` (without node and script) and returns the exit status; never calls process.exit. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code: number = EXIT_CODES.ok;
  const program = createProgram(io, (c) => { code = c; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    const e = err instanceof ImportError ? err : undefined;
    io.stderr.write(`${e !== undefined ? e.format() : `GI_INTERNAL: ${err instanceof Error ? err.stack : String(err)}`}\n`);
    return exitCodeFor(err);
  }
}
