import { describe, expect, it } from 'vitest';
import { ImportError } from '../src/index.js';
import { MIN_CSR_BYTES, budgetNeeded, fitsBudget, fixedBytes, planMemory, relPhaseBytes } from '../src/plan/memory-plan.js';

const MiB = 2 ** 20;
// A 10M-node sparse ID space at the tight load (~127 MiB) with two workers: the shape of the 10M/50M benchmark.
const big = { threads: 2, rangeBytes: 8 * MiB, indexBytes: 127 * MiB, nodes: 10e6, edges: 50e6, propertyBytesPerEdge: 16 };

describe('memory plan: the ID index and the CSR build never share the budget on the streaming path', () => {
  it('streaming: the CSR build gets the whole budget past the fixed cost, because the index is released before it', () => {
    const plan = planMemory({ ...big, budget: 500 * MiB, streaming: true });
    expect(plan.fixedBytes).toBe(fixedBytes(big));
    expect(plan.csrBytes).toBe(500 * MiB - fixedBytes(big));
    expect(plan.partitions).toBe(Math.ceil(big.edges / plan.partitionEdges));
  });

  it('in memory: blocks are kept from the relationship phase, so the index is counted against the CSR build', () => {
    const plan = planMemory({ ...big, budget: 2048 * MiB, streaming: false });
    expect(plan.csrBytes).toBe(2048 * MiB - fixedBytes(big) - big.indexBytes);
    expect(plan.partitions).toBe(1);
  });

  it('two workers fit next to a 127 MiB index in 500 MiB, where index + CSR minimum on top of them would not', () => {
    const m = { ...big, budget: 500 * MiB };
    // The old arithmetic (index and CSR minimum together) would refuse this budget.
    expect(fixedBytes(m) + m.indexBytes + MIN_CSR_BYTES).toBeGreaterThan(m.budget);
    expect(fitsBudget(m)).toBe(true);
    expect(() => planMemory({ ...m, streaming: true })).not.toThrow();
  });

  it('the relationship phase counts the index; a larger index or more nodes need more', () => {
    expect(relPhaseBytes({ ...big, indexBytes: 2 * big.indexBytes })).toBe(relPhaseBytes(big) + big.indexBytes);
    expect(relPhaseBytes({ ...big, nodes: 2 * big.nodes })).toBeGreaterThan(relPhaseBytes(big));
    expect(relPhaseBytes({ ...big, threads: 3 })).toBeGreaterThan(relPhaseBytes(big));
  });

  it('the budget needed is the larger of the relationship phase and the CSR minimum, and is exact', () => {
    const small = { threads: 1, rangeBytes: MiB, indexBytes: MiB, nodes: 1000 };
    expect(budgetNeeded(small)).toBe(fixedBytes(small) + MIN_CSR_BYTES);
    expect(budgetNeeded(big)).toBe(relPhaseBytes(big));
    for (const m of [small, big]) {
      const need = budgetNeeded(m);
      expect(fitsBudget({ ...m, budget: need })).toBe(true);
      expect(fitsBudget({ ...m, budget: need - 1 })).toBe(false);
    }
  });

  it('a budget below that fails with GI_MEMORY_BUDGET and a hint naming the budget that works', () => {
    const m = { ...big, budget: 400 * MiB, streaming: true };
    let err: unknown;
    try {
      planMemory(m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).code).toBe('GI_MEMORY_BUDGET');
    const need = Number(/at least (\d+) MiB/.exec((err as ImportError).hint ?? '')?.[1]);
    expect(need).toBe(Math.ceil(budgetNeeded(m) / MiB));
    expect(() => planMemory({ ...m, budget: need * MiB })).not.toThrow();
  });
});
