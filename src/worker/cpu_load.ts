/**
 * The default load of a worker: the share of the machine's CPU time that was busy since the last
 * sample (os.cpus() counters), 0..1. Sampled at each status update (every 2.5 s), it is the
 * average over that interval.
 */
import { cpus } from 'node:os';

interface Counters {
  busy: number;
  total: number;
}

function read(): Counters {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

export class CpuLoad {
  #last: Counters = read();

  /** Busy share of all CPUs since the previous sample (or since construction). */
  sample(): number {
    const now = read();
    const total = now.total - this.#last.total;
    const busy = now.busy - this.#last.busy;
    // Counters that did not move (two samples within one tick) say nothing new: keep it at 0.
    this.#last = total > 0 ? now : this.#last;
    if (total <= 0) return 0;
    return Math.min(1, Math.max(0, busy / total));
  }
}
