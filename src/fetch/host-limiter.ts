/**
 * The per-host politeness port: at most N requests in flight per host and a token bucket per host.
 * Adapters: `MemoryHostLimiter` (one process) and, in distributed mode, a Redis one.
 */
export type HostSlot =
  | { readonly isGranted: true; release(): Promise<void> }
  | { readonly isGranted: false; readonly retryAfterMs: number };

/** Limits of one host other than the limiter's own (a domain rule, issue 20). */
export interface HostLimits {
  maxInFlight: number;
  ratePerSecond: number;
  burst: number;
}

export interface HostLimiter {
  /**
   * Takes one in-flight slot and one token for `host` if both are free now; otherwise says how long
   * to wait before asking again. Never waits itself. `limits` (a domain rule's) replace the
   * limiter's own for this host; the host's slots and bucket under them are kept apart.
   */
  tryAcquire(host: string, limits?: HostLimits): Promise<HostSlot>;
  /** Frees everything the limiter holds. Idempotent. */
  close(): Promise<void>;
}
