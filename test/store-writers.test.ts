/**
 * The store's Arrow file writers (src/store/arrow-file-sink.ts, rel-table-writer.ts): writes are synchronous, so a
 * caller may refill the buffers it passed as soon as writeColumns returns; the size and checksum returned are the
 * file's; offsets past 2^32 keep both int64 halves; a failing disk surfaces as GI_STORE_WRITE naming the file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Field, Int64, Schema, Uint32, Utf8, makeData, tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError } from '../src/errors/import-error.js';
import { columnData } from '../src/store/arrow-columns.js';
import { ArrowFileSink } from '../src/store/arrow-file-sink.js';
import { Utf8ColumnBuilder } from '../src/store/column-builders.js';
import { EdgeRowsWriter, OffsetsWriter, REL_RECORD_BATCH_ROWS } from '../src/store/rel-table-writer.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gi-store-writers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const resolvePath = async (relative: string): Promise<string> => join(dir, relative.replaceAll('/', '_'));

describe('ArrowFileSink', () => {
  it('writes each batch as it was when passed, though the caller refills the same arrays, and reports the file\'s size and CRC', async () => {
    const schema = new Schema([new Field('n', new Uint32(), false), new Field('s', new Utf8(), true)]);
    const path = join(dir, 'reuse.arrow');
    const sink = new ArrowFileSink(path, schema);
    // Large enough that the values go to the file in their own write, not through the staging copy.
    const rows = 50_000;
    const values = new Uint32Array(rows);
    const text = new Utf8ColumnBuilder(0x22);
    const expected: { n: number[]; s: (string | null)[] }[] = [];
    for (let batch = 0; batch < 3; batch++) {
      for (let i = 0; i < rows; i++) values[i] = batch * 1_000_000 + i;
      const strings: (string | null)[] = [];
      for (let i = 0; i < rows; i++) {
        const s = i % 7 === 3 ? null : `b${batch}-${i}`;
        if (s === null) text.appendNull();
        else text.appendBytes(Buffer.from(s), 0, s.length, 0);
        strings.push(s);
      }
      sink.writeColumns([makeData({ type: new Uint32(), length: rows, nullCount: 0, data: values }), columnData(text)], rows);
      text.reset();
      expected.push({ n: Array.from(values), s: strings });
    }
    const written = sink.close();

    const bytes = readFileSync(path);
    expect(written).toEqual({ bytes: bytes.length, crc32: crc32(bytes) });
    const table = tableFromIPC(bytes);
    expect(table.batches.length).toBe(3);
    table.batches.forEach((b, k) => {
      expect(Array.from(b.getChild('n')!.toArray() as Uint32Array)).toEqual(expected[k].n);
      expect(b.getChild('s')!.toArray()).toEqual(expected[k].s);
    });
  });

  it('writes a file with no rows as one empty batch', async () => {
    const path = join(dir, 'empty.arrow');
    const sink = new ArrowFileSink(path, new Schema([new Field('s', new Utf8(), true)]));
    const written = sink.close();
    const bytes = readFileSync(path);
    expect(written).toEqual({ bytes: bytes.length, crc32: crc32(bytes) });
    expect(tableFromIPC(bytes).numRows).toBe(0);
  });

  it('reports a failed write as GI_STORE_WRITE naming the file, for a large batch at once and for small ones at close', async () => {
    const schema = new Schema([new Field('n', new Uint32(), false)]);
    const big = new ArrowFileSink('/dev/full', schema);
    const fail = (): void => big.writeColumns([makeData({ type: new Uint32(), length: 1 << 16, nullCount: 0, data: new Uint32Array(1 << 16) })], 1 << 16);
    expect(fail).toThrow(ImportError);
    try {
      fail();
    } catch (err) {
      expect((err as ImportError).code).toBe('GI_STORE_WRITE');
      expect((err as ImportError).file).toBe('/dev/full');
      expect((err as ImportError).reason).toMatch(/ENOSPC/);
    }
    big.abort();

    const small = new ArrowFileSink('/dev/full', schema);
    small.writeColumns([makeData({ type: new Uint32(), length: 4, nullCount: 0, data: Uint32Array.of(1, 2, 3, 4) })], 4);
    expect(() => small.close()).toThrow(expect.objectContaining({ code: 'GI_STORE_WRITE', file: '/dev/full', reason: expect.stringMatching(/ENOSPC/) }));
  });
});

describe('relationship table writers', () => {
  it('writes running offsets past 2^32 exactly, across record batches and runs of empty nodes', async () => {
    const w = await OffsetsWriter.open(resolvePath, 'big/offsets.arrow');
    const degrees = new Uint32Array(REL_RECORD_BATCH_ROWS + 10).fill(70_000);
    w.appendDegrees(degrees, 0, degrees.length);
    w.appendEmpty(REL_RECORD_BATCH_ROWS - 3);
    w.appendDegrees(Uint32Array.of(5, 4_000_000_000, 1), 0, 3);
    await w.close();

    const offsets = tableFromIPC(readFileSync(await resolvePath('big/offsets.arrow'))).getChild('offset')!.toArray() as BigInt64Array;
    const want: bigint[] = [0n];
    let total = 0n;
    for (const d of degrees) want.push((total += BigInt(d)));
    for (let i = 0; i < REL_RECORD_BATCH_ROWS - 3; i++) want.push(total);
    for (const d of [5n, 4_000_000_000n, 1n]) want.push((total += d));
    expect(total).toBeGreaterThan(2n ** 33n);
    expect(offsets.length).toBe(want.length);
    // Compared as one string: a per-element expect over 260k rows is slow.
    expect(Array.from(offsets, String).join(',')).toBe(want.map(String).join(','));
  });

  it('refills the same target and property arrays batch after batch without changing written rows', async () => {
    const quote = 0x22;
    const w = await EdgeRowsWriter.open(resolvePath, 'rows/fwd.arrow', ['_dst'], [new Field('name', new Utf8(), true)], [new Utf8ColumnBuilder(quote)]);
    const total = 2 * REL_RECORD_BATCH_ROWS + 123;
    const targets = Uint32Array.from({ length: total }, (_, i) => (i * 2654435761) >>> 0);
    for (let i = 0; i < total;) {
      const k = Math.min(w.room(), total - i, 10_000);
      w.u32[0].set(targets.subarray(i, i + k), w.filled);
      for (let j = i; j < i + k; j++) {
        const s = `e${j}`;
        w.props[0].appendBytes(Buffer.from(s), 0, s.length, 0);
      }
      w.advance(k);
      i += k;
    }
    await w.close();

    const table = tableFromIPC(readFileSync(await resolvePath('rows/fwd.arrow')));
    expect(table.batches.map((b) => b.numRows)).toEqual([REL_RECORD_BATCH_ROWS, REL_RECORD_BATCH_ROWS, 123]);
    expect(Array.from(table.getChild('_dst')!.toArray() as Uint32Array).every((v, i) => v === targets[i])).toBe(true);
    const names = table.getChild('name')!.toArray() as string[];
    expect(names.length).toBe(total);
    expect(names.every((s, i) => s === `e${i}`)).toBe(true);
  });
});
