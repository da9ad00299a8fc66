import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;
let collect: Collect | null | undefined;

/**
 * Collects garbage now. Partition results cross threads as transferred ArrayBuffers (tens of MB each); V8 frees
 * their memory only when it next collects, and with a tiny JS heap that can be hundreds of MB later, which shows
 * up as resident memory the budget did not plan for. A no-op if the runtime refuses to expose gc.
 */
export function reclaim(type: 'minor' | 'major' = 'minor'): void {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as Collect;
    } catch {
      collect = null;
    }
  }
  collect?.({ type });
}
