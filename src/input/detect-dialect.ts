/**
 * Zero-config dialect detection on the first bytes of a file: which delimiter and which quote character. A flag
 * always wins over both; detection only runs for what the user did not give.
 */

/** Delimiters tried when none is given, in order of preference on a tie. */
export const DELIMITER_CANDIDATES = [',', '|', '\t', ';'] as const;
/** Quote characters tried when none is given; the first is the default. */
export const QUOTE_CANDIDATES = ['"', "'"] as const;
/** Lines looked at (the header and the data lines after it). */
const SAMPLE_LINES = 50;

const LF = 0x0a;
const CR = 0x0d;

/** Up to SAMPLE_LINES complete lines from `from`, split outside `quote` (line ends inside quotes are data). */
function sampleLines(bytes: Uint8Array, from: number, quote: number): [number, number][] {
  const lines: [number, number][] = [];
  let start = from;
  let inQuotes = false;
  for (let i = from; i < bytes.length && lines.length < SAMPLE_LINES; i++) {
    const c = bytes[i];
    if (c === quote) inQuotes = !inQuotes;
    else if (!inQuotes && (c === LF || c === CR)) {
      if (i > start) lines.push([start, i]);
      start = i + 1;
    }
  }
  // The probe may end mid-line; a file that fits in it ends with its last line.
  if (lines.length === 0 && start < bytes.length) lines.push([start, bytes.length]);
  return lines;
}

function countOutsideQuotes(bytes: Uint8Array, [s, e]: [number, number], delimiter: number, quote: number): number {
  let n = 0;
  let inQuotes = false;
  for (let i = s; i < e; i++) {
    const c = bytes[i];
    if (c === quote) inQuotes = !inQuotes;
    else if (!inQuotes && c === delimiter) n++;
  }
  return n;
}

/**
 * The delimiter of a file: among the candidates that occur on the header line, the one whose count per line is
 * the same on most sampled lines (a real delimiter splits every row alike; a comma inside names does not), then
 * the one occurring most on the header; `,` when none occurs.
 */
export function detectDelimiter(bytes: Uint8Array, from: number, quote: string): string {
  const q = quote.charCodeAt(0);
  const lines = sampleLines(bytes, from, q);
  if (lines.length === 0) return ',';
  let best: string = ',';
  let bestScore = [-1, -1];
  for (const d of DELIMITER_CANDIDATES) {
    const code = d.charCodeAt(0);
    const header = countOutsideQuotes(bytes, lines[0], code, q);
    if (header === 0) continue;
    const consistent = lines.filter((l) => countOutsideQuotes(bytes, l, code, q) === header).length;
    const score = [consistent, header];
    if (score[0] > bestScore[0] || (score[0] === bestScore[0] && score[1] > bestScore[1])) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

/** Quoted fields seen per quote candidate: the character opens a field (after a line start or a delimiter) and closes it. */
export function countQuotedFields(bytes: Uint8Array, from: number, delimiter?: string): Record<string, number> {
  // A byte table, not a Set: this runs over the first MiB of every input, once per quote candidate.
  const isDelimiter = new Uint8Array(256);
  for (const d of delimiter !== undefined ? [delimiter] : DELIMITER_CANDIDATES) if (d.charCodeAt(0) < 256) isDelimiter[d.charCodeAt(0)] = 1;
  const counts: Record<string, number> = {};
  for (const quote of QUOTE_CANDIDATES) {
    const q = quote.charCodeAt(0);
    let n = 0;
    // Only a quote byte can open a quoted field, so the scan jumps from one to the next (a native search) instead of
    // visiting every byte: in most files one candidate never occurs and the other rarely does.
    for (let i = bytes.indexOf(q, from); i >= 0; ) {
      const before = bytes[i - 1];
      let next = i + 1;
      if (i === from || before === LF || before === CR || isDelimiter[before] === 1) {
        // Find the closing quote on the same line (a doubled quote is data) and require a delimiter or line end
        // after it. Staying on the line keeps an apostrophe from pairing with one far away.
        let j = i + 1;
        for (; j < bytes.length && bytes[j] !== LF && bytes[j] !== CR; j++) {
          if (bytes[j] !== q) continue;
          if (bytes[j + 1] === q) j++;
          else break;
        }
        const after = bytes[j + 1];
        if (j < bytes.length && bytes[j] === q && (j + 1 === bytes.length || after === LF || after === CR || isDelimiter[after] === 1)) {
          n++;
          next = j + 1;
        }
      }
      i = bytes.indexOf(q, next);
    }
    counts[quote] = n;
  }
  return counts;
}

/** The quote character for files whose probes gave `counts`: the candidate seen most (`"` on a tie or when none is). */
export function pickQuote(counts: Record<string, number>[]): { quote: string; detected: boolean } {
  const total = (q: string): number => counts.reduce((n, c) => n + (c[q] ?? 0), 0);
  let best: string = QUOTE_CANDIDATES[0];
  for (const q of QUOTE_CANDIDATES) if (total(q) > total(best)) best = q;
  return { quote: best, detected: total(best) > 0 };
}
