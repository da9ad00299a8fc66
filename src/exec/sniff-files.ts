import { readBatches } from '../input/batch-reader.js';
import { type ErrorCode, ImportError } from '../errors/import-error.js';
import { FieldTextCache } from '../input/field-text.js';
import { type InferredKind, classifyValue, joinKinds } from '../schema/infer-types.js';
import type { InputFile } from '../schema/resolve-inputs.js';
import { isRepeatedHeader } from '../input/repeated-header.js';

/** What a full pass over a file found: its row count, the kind of each column's values, its labels. */
export interface FileStats {
  rows: number;
  /** Inferred kind per column; only columns in `inferColumns` are classified, the rest stay 'empty'. */
  kinds: InferredKind[];
  /** Distinct first labels of the :LABEL column, in order of first appearance. */
  labels: string[];
  /** Rows whose :LABEL field is empty (they take the file's fallback label). */
  unlabeledRows: number;
  /** True when only a prefix of the file was read (`rows` and `kinds` describe that prefix). */
  sampled: boolean;
  /** Data bytes the rows read span. */
  bytes: number;
}

/** Label values past this many distinct ones are refused: a :LABEL column is a category, not data. */
const MAX_DISTINCT_LABELS = 10_000;

/** Which columns of a file need a data pass before loading: IDs whose kind is unknown, untyped plain columns. */
export function columnsToInfer(file: InputFile, idTypeKnown: boolean): number[] {
  const out: number[] = [];
  file.layout.columns.forEach((c, i) => {
    if (c.kind === 'id' && c.type === undefined && !idTypeKnown) out.push(i);
    if (c.kind === 'property' && c.type === undefined && file.layout.style === 'plain') out.push(i);
  });
  return out;
}

/** Errors that end a file's sample rather than the sniff (see sniffFile). */
const SAMPLE_STOPPERS = new Set<ErrorCode>(['GI_UNTERMINATED_QUOTE', 'GI_QUOTE_UNEXPECTED', 'GI_INVALID_UTF8', 'GI_FIELD_TOO_LARGE']);

/** How the sniff treats rows whose field count differs from the header's, and repeated headers. */
export interface SniffRules {
  /** Rows with more fields than the header are read (their extra fields ignored): --ignore-extra-columns. */
  extraOk: boolean;
  /** Rows repeating the header line are passed over (--auto-skip-subsequent-headers). */
  skipHeaders: boolean;
}
const STRICT_RULES: SniffRules = { extraOk: false, skipHeaders: false };

/**
 * Scans the rows of `file` (all of them, or those starting in its first `sampleBytes`), classifying the values of
 * `inferColumns` and collecting labels.
 */
export async function sniffFile(
  file: InputFile, inferColumns: number[], batchRows: number, arrayDelimiter: string, sampleBytes = Infinity, rules: SniffRules = STRICT_RULES,
): Promise<FileStats> {
  const width = file.layout.columns.length;
  const header = rules.skipHeaders && file.headerText !== '' ? Buffer.from(file.headerText) : undefined;
  const kinds: InferredKind[] = new Array(width).fill('empty');
  const labelSeen = new Set<string>();
  const labels: string[] = [];
  const labelColumn = file.layout.labelColumn;
  const quote = file.quote.charCodeAt(0);
  let rows = 0;
  let unlabeledRows = 0;
  const firstLabel = new FieldTextCache((text) => text.split(arrayDelimiter)[0].trim());
  const cursor = { next: file.dataStart, line: file.dataLine };
  const range = {
    path: file.dataPath, name: file.path, start: file.dataStart, end: file.size, firstLine: file.dataLine, batchRows,
    dialect: { delimiter: file.delimiter.charCodeAt(0), quote }, stopAt: file.dataStart + sampleBytes, cursor, fieldsPerRow: width,
  };
  let stopped = false;
  let bytesSeen = 0;
  try {
    for await (const batch of readBatches(range)) {
      const { buf, scan } = batch;
      bytesSeen = batch.bytesDone;
      for (let r = 0; r < scan.rows; r++) {
        if (header !== undefined && isRepeatedHeader(buf, scan, r, header)) continue;
        const got = scan.fieldCount(r);
        // A row of the wrong width says nothing about types; the load decides about it (skip or fail) in file
        // order, after any earlier bad row, so the first error reported is the first in the file.
        if (got !== width && !(rules.extraOk && got > width)) continue;
        const base = scan.rowField[r];
        for (const c of inferColumns) {
          if (kinds[c] === 'string') continue;
          const f = base + c;
          const s = scan.fieldStart[f];
          const e = scan.fieldEnd[f];
          if (s === e) continue; // null, or "" (no evidence of a type)
          kinds[c] = joinKinds(kinds[c], classifyValue(buf, s, e));
        }
        if (labelColumn >= 0) {
          const first = firstLabel.get(buf, scan, base + labelColumn, quote);
          if (first === '') unlabeledRows++;
          else if (!labelSeen.has(first)) {
            labelSeen.add(first);
            labels.push(first);
            if (labels.length > MAX_DISTINCT_LABELS) throw tooManyLabels(file.path);
          }
        }
      }
      rows += scan.rows;
    }
  } catch (err) {
    // Bytes the scanner cannot read as rows (a broken quote, invalid UTF-8) end the sample there: the load meets
    // them in file order, after any earlier bad row.
    if (!(err instanceof ImportError) || !SAMPLE_STOPPERS.has(err.code)) throw err;
    stopped = true;
  }
  // A sample that stopped at an unreadable row covers the rows handed out before it.
  const bytes = stopped ? bytesSeen : cursor.next - file.dataStart;
  return { rows, kinds, labels, unlabeledRows, sampled: stopped || cursor.next < file.size, bytes };
}

function tooManyLabels(file: string): ImportError {
  return new ImportError('GI_LIMIT_EXCEEDED', `the :LABEL column holds more than ${MAX_DISTINCT_LABELS} distinct labels`, {
    file, hint: 'a label names a kind of node; store per-node values in a property instead',
  });
}
