/**
 * What a job's items are waiting on politeness for (issue 22), so the page can say "2 in flight,
 * waiting for host x: 2 requests/s" instead of "32 running". The worker tells it when an item
 * starts and ends a wait for a host's slot, and when it gives the slot up and is rescheduled; the
 * API reads a short summary per job. In this process only: with workers in other processes
 * (distributed mode), their waits are not seen here, and jobs show no summary.
 *
 * Cheap and bounded: two counters per (job, host), at most `maxJobs` jobs (least recently
 * touched forgotten first) and `maxHostsPerJob` hosts per job; a summary is the top few hosts.
 */
import { systemClock, type Clock } from '../lib/clock.js';

/** A host that holds back items of a job, and the limit it is held to. */
export interface HostWait {
  host: string;
  /** Items of the job waiting for this host now, in a worker slot or rescheduled for it. */
  items: number;
  /** The per-host limit: requests in flight at once and requests per second. */
  limit: { inFlight: number; ratePerSecond: number };
}

/** A job's politeness summary: items fetching now, and the hosts the others wait for. */
export interface JobPoliteness {
  /** Running items that are not waiting for a host slot (fetching, extracting or storing). */
  inFlight: number;
  /** The hosts holding items back, most items first (the top few). */
  waiting: HostWait[];
}

/** Options of `HostWaits`. */
export interface HostWaitsOptions {
  /** The per-host limits the host limiter applies (shown, not enforced here). */
  limit: { inFlight: number; ratePerSecond: number };
  /** Most jobs tracked at once. @default 1000 */
  maxJobs?: number;
  /** Most hosts tracked per job. @default 32 */
  maxHostsPerJob?: number;
  /** Hosts a summary lists. @default 3 */
  top?: number;
  clock?: Clock;
}

interface Waits {
  /** Items in `acquireHostSlot` now. */
  waiting: number;
  /** Items rescheduled for this host whose run-after is not past. */
  heldBack: number;
  heldUntil: number;
}

/** Per job and host: how many items wait for the host's politeness slot. */
export class HostWaits {
  readonly #limit: HostWait['limit'];
  readonly #maxJobs: number;
  readonly #maxHosts: number;
  readonly #top: number;
  readonly #clock: Clock;
  /** Insertion order is recency order: a job is re-inserted when touched. */
  readonly #jobs = new Map<string, Map<string, Waits>>();

  constructor(options: HostWaitsOptions) {
    this.#limit = { ...options.limit };
    this.#maxJobs = options.maxJobs ?? 1000;
    this.#maxHosts = options.maxHostsPerJob ?? 32;
    this.#top = options.top ?? 3;
    this.#clock = options.clock ?? systemClock;
  }

  /** An item of `jobId` starts waiting for `host`'s slot; call the returned function when it ends. */
  begin(jobId: string, host: string): () => void {
    const waits = this.#entry(jobId, host);
    if (waits === undefined) return () => undefined;
    waits.waiting++;
    // A rescheduled item that comes back is waiting again, no longer held back.
    if (waits.heldBack > 0) waits.heldBack--;
    let isEnded = false;
    return () => {
      if (isEnded) return;
      isEnded = true;
      waits.waiting = Math.max(0, waits.waiting - 1);
    };
  }

  /** An item of `jobId` gave its slot up and runs again after `retryAfterMs`. */
  rescheduled(jobId: string, host: string, retryAfterMs: number): void {
    const waits = this.#entry(jobId, host);
    if (waits === undefined) return;
    const now = this.#clock.now();
    if (waits.heldUntil < now) waits.heldBack = 0;
    waits.heldBack++;
    waits.heldUntil = Math.max(waits.heldUntil, now + retryAfterMs);
  }

  /** The job's summary, or undefined when none of its items waits on politeness. */
  politeness(jobId: string, running: number): JobPoliteness | undefined {
    const hosts = this.#jobs.get(jobId);
    if (hosts === undefined) return undefined;
    const now = this.#clock.now();
    const waiting: HostWait[] = [];
    let waitingNow = 0;
    for (const [host, waits] of hosts) {
      if (waits.heldUntil < now) waits.heldBack = 0;
      const items = waits.waiting + waits.heldBack;
      if (items === 0) {
        hosts.delete(host);
        continue;
      }
      waitingNow += waits.waiting;
      waiting.push({ host, items, limit: { ...this.#limit } });
    }
    if (hosts.size === 0) this.#jobs.delete(jobId);
    if (waiting.length === 0) return undefined;
    waiting.sort((a, b) => b.items - a.items || a.host.localeCompare(b.host));
    return { inFlight: Math.max(0, running - waitingNow), waiting: waiting.slice(0, this.#top) };
  }

  /** Jobs tracked (for tests). */
  get size(): number {
    return this.#jobs.size;
  }

  #entry(jobId: string, host: string): Waits | undefined {
    let hosts = this.#jobs.get(jobId);
    if (hosts !== undefined) this.#jobs.delete(jobId);
    hosts ??= new Map();
    this.#jobs.set(jobId, hosts);
    if (this.#jobs.size > this.#maxJobs) {
      const oldest = this.#jobs.keys().next().value;
      if (oldest !== undefined) this.#jobs.delete(oldest);
    }
    const key = host.toLowerCase();
    let waits = hosts.get(key);
    if (waits === undefined) {
      if (hosts.size >= this.#maxHosts) this.#dropIdle(hosts);
      // Still full of hosts that hold items: this one goes uncounted (the summary shows the top few).
      if (hosts.size >= this.#maxHosts) return undefined;
      waits = { waiting: 0, heldBack: 0, heldUntil: 0 };
      hosts.set(key, waits);
    }
    return waits;
  }

  #dropIdle(hosts: Map<string, Waits>): void {
    const now = this.#clock.now();
    for (const [host, waits] of hosts) {
      if (waits.waiting === 0 && (waits.heldBack === 0 || waits.heldUntil < now)) hosts.delete(host);
    }
  }
}
