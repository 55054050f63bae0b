/**
 * Reads process trees from /proc (Linux): which processes descend from a pid and their resident
 * memory. The browser pool uses it to recycle a browser whose processes grew past the RSS ceiling,
 * and the tests and benchmark to show that processes and memory stay bounded. Elsewhere (no /proc)
 * every reading is empty and the pool recycles by page count alone.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Processes of one tree and their summed memory. */
export interface ProcessTreeUsage {
  pids: number[];
  /** Summed resident set size: counts pages the processes share (Chromium's code) once per process. */
  rssBytes: number;
  /**
   * Summed proportional set size (shared pages split between their users): what the tree really
   * costs. 0 where /proc/<pid>/smaps_rollup is missing (kernels before 4.14).
   */
  pssBytes: number;
}

/** pid → parent pid of every process we can see. */
async function parentsByPid(): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return parents;
  }
  await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        try {
          const stat = await readFile(`/proc/${name}/stat`, 'utf8');
          // The command name (field 2) may hold spaces and parentheses: fields follow the last ')'.
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          parents.set(Number(name), Number(fields[1]));
        } catch {
          // The process exited while we read the table.
        }
      }),
  );
  return parents;
}

/** Resident set size of one process in bytes (VmRSS), 0 when it is gone. */
async function rssOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Proportional set size of one process in bytes (smaps_rollup `Pss`), 0 when unknown. */
async function pssOf(pid: number): Promise<number> {
  try {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    const match = /^Pss:\s+(\d+)\s+kB/m.exec(rollup);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function usageOf(pids: number[]): Promise<ProcessTreeUsage> {
  const [rss, pss] = await Promise.all([Promise.all(pids.map(rssOf)), Promise.all(pids.map(pssOf))]);
  const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
  return { pids, rssBytes: sum(rss), pssBytes: sum(pss) };
}

/** The command line of a process, arguments joined by spaces ('' when it is gone). */
export async function commandLineOf(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
  } catch {
    return '';
  }
}

/** `rootPid` and all its descendants, with their summed RSS. */
export async function processTreeUsage(rootPid: number): Promise<ProcessTreeUsage> {
  const parents = await parentsByPid();
  const children = new Map<number, number[]>();
  for (const [pid, parent] of parents) {
    const list = children.get(parent);
    if (list) list.push(pid);
    else children.set(parent, [pid]);
  }
  if (!parents.has(rootPid)) return { pids: [], rssBytes: 0, pssBytes: 0 };
  const pids: number[] = [];
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    pids.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return usageOf(pids);
}

/**
 * The descendant of `ancestorPid` whose command line contains `marker`, closest to the ancestor
 * first (the browser's main process, not its children, which repeat some of its switches).
 */
export async function findDescendantByMarker(
  ancestorPid: number,
  marker: string,
): Promise<number | undefined> {
  const parents = await parentsByPid();
  const children = new Map<number, number[]>();
  for (const [pid, parent] of parents) {
    const list = children.get(parent);
    if (list) list.push(pid);
    else children.set(parent, [pid]);
  }
  let level = children.get(ancestorPid) ?? [];
  while (level.length > 0) {
    for (const pid of level) {
      if ((await commandLineOf(pid)).includes(marker)) return pid;
    }
    level = level.flatMap((pid) => children.get(pid) ?? []);
  }
  return undefined;
}

/**
 * Processes whose command line contains `marker` (any parent) and all their descendants: every
 * browser of every pool in this machine when `marker` is `--distill-browser=`.
 */
export async function usageOfMarkedProcesses(marker: string): Promise<ProcessTreeUsage> {
  const parents = await parentsByPid();
  const marked: number[] = [];
  await Promise.all(
    [...parents.keys()].map(async (pid) => {
      if ((await commandLineOf(pid)).includes(marker)) marked.push(pid);
    }),
  );
  const children = new Map<number, number[]>();
  for (const [pid, parent] of parents) {
    const list = children.get(parent);
    if (list) list.push(pid);
    else children.set(parent, [pid]);
  }
  const all = new Set<number>();
  const stack = [...marked];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (all.has(pid)) continue;
    all.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return usageOf([...all].sort((a, b) => a - b));
}
