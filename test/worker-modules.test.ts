/**
 * What a worker thread loads when it starts: the compiled worker entry (dist/exec/worker-main.js, what the pool
 * spawns) and everything it imports statically. Apache Arrow costs a worker ~0.1 s of start-up CPU and parquet-wasm
 * ~40 ms; a worker reading CSV needs neither, so both may only be reached through a dynamic import() (Arrow inputs
 * load arrow-rel-range.js on first use).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/child.js';

/** Static import/export-from specifiers of a compiled module (dynamic import() calls are not matched). */
function staticImports(source: string): string[] {
  return [...source.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2]);
}

/** Every package reached from `entry` by static imports, with the chain of modules that reaches it. */
function packagesReached(entry: string): Map<string, string[]> {
  const seen = new Set<string>();
  const packages = new Map<string, string[]>();
  const walk = (file: string, chain: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec), [...chain, file]);
      else if (!packages.has(spec)) packages.set(spec, [...chain, file].map((f) => f.slice(ROOT.length + 1)));
    }
  };
  walk(entry, []);
  return packages;
}

describe('worker start-up', () => {
  it('the worker entry reaches neither Apache Arrow nor parquet-wasm by static imports', () => {
    const reached = packagesReached(join(ROOT, 'dist/exec/worker-main.js'));
    // The walk works: the worker's own imports are found.
    expect(reached.has('node:worker_threads')).toBe(true);
    expect(reached.size).toBeGreaterThan(3);
    for (const heavy of ['apache-arrow', 'parquet-wasm']) expect(reached.get(heavy), `${heavy} reached via`).toBeUndefined();
  });

  it('the main entry still reaches Apache Arrow (the check can see it where it is imported)', () => {
    expect(packagesReached(join(ROOT, 'dist/index.js')).has('apache-arrow')).toBe(true);
  });
});
