/**
 * The per-host politeness port: at most N requests in flight per host and a token bucket per host.
 * Adapters: `MemoryHostLimiter` (one process) and, in distributed mode, a Redis one.
 */
export type HostSlot =
  | { readonly isGranted: true; release(): Promise<void> }
  | { readonly isGranted: false; readonly retryAfterMs: number };

export interface HostLimiter {
  /**
   * Takes one in-flight slot and one token for `host` if both are free now; otherwise says how long
   * to wait before asking again. Never waits itself.
   */
  tryAcquire(host: string): Promise<HostSlot>;
  /** Frees everything the limiter holds. Idempotent. */
  close(): Promise<void>;
}
