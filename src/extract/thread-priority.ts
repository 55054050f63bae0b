import { readlinkSync } from 'node:fs';
import os from 'node:os';

/**
 * Lowers the scheduling priority of the calling thread alone to `niceness` (0 to 19; higher is
 * lower priority), so that, when both want the CPU, the event loop answering the API wins over
 * extraction. Linux only: there `setpriority` takes a thread id (read from `/proc/thread-self`) and
 * changes that thread and no other. Elsewhere, or for `niceness` 0, it does nothing. Returns whether
 * the priority was changed; it never throws, since a thread at the normal priority still works.
 */
export function lowerThreadPriority(niceness: number): boolean {
  if (niceness <= 0 || process.platform !== 'linux') return false;
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(threadId) || threadId <= 0) return false;
    os.setPriority(threadId, Math.min(19, niceness));
    return true;
  } catch {
    return false; // no /proc, or a sandbox that refuses setpriority: extraction runs at the normal priority
  }
}
