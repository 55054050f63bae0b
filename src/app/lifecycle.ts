import type { ReadinessProbe, ReadinessProbeSpec } from '../api/index.js';
import { toError } from '../lib/index.js';

/** The `/readyz` checks one component answers, by check name. */
export type ReadinessChecks = Record<string, ReadinessProbe | ReadinessProbeSpec>;

/**
 * One part of a process as the composition root runs it: how it starts, how it stops, and which
 * readiness checks it answers. Builders describe the parts they create with these, so that the app
 * asks each part for its readiness instead of testing its class.
 */
export interface Component {
  /** What logs and stop errors call it: `worker pool`, `HTTP API`. */
  readonly name: string;
  /** Starts it; called once, in the order components were added. */
  start?(): Promise<void> | void;
  /** Stops it and closes what it owns; called once, in reverse order, even if it never started. */
  stop?(): Promise<void> | void;
  /** The `/readyz` checks this component answers (a required check fails the readiness of the process). */
  readonly readiness?: ReadinessChecks;
}

/**
 * Starts components in the order they were added and stops them in reverse. `stop()` runs every
 * component's stop even if an earlier one throws, and reports the failures together in one
 * `AggregateError`. Both are idempotent: a second call returns the first call's promise.
 */
export class Lifecycle {
  readonly #components: Component[] = [];
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  /** Adds `component` (skipped when undefined: a part this role does not run). */
  add(component: Component | undefined): void {
    if (this.#starting || this.#stopping)
      throw new Error(`Cannot add the ${component?.name ?? 'component'} once the app has started`);
    if (component) this.#components.push(component);
  }

  /** The components, in start order. */
  get components(): readonly Component[] {
    return this.#components;
  }

  /** Every component's readiness checks, in start order. */
  readiness(): ReadinessChecks {
    return readinessOf(this.#components);
  }

  /** Starts each component in order; the first failure rejects (the caller then calls `stop()`). */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /** Stops each component in reverse order, every one even if another throws. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #start(): Promise<void> {
    for (const component of this.#components) await component.start?.();
  }

  async #stop(): Promise<void> {
    // A start still under way finishes (or fails) first, so that nothing starts after its stop.
    await this.#starting?.catch(() => undefined);
    const errors: Error[] = [];
    for (const component of [...this.#components].reverse()) {
      try {
        await component.stop?.();
      } catch (error) {
        errors.push(
          new Error(`Stopping the ${component.name} failed: ${toError(error).message}`, { cause: error }),
        );
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'distill did not stop cleanly');
  }
}

/** The readiness checks of `components`, in their order (undefined entries: parts a role does not run). */
export function readinessOf(components: Iterable<Component | undefined>): ReadinessChecks {
  const checks: ReadinessChecks = {};
  for (const component of components) {
    for (const [name, check] of Object.entries(component?.readiness ?? {})) {
      if (name in checks) throw new Error(`Two components answer the readiness check \`${name}\``);
      checks[name] = check;
    }
  }
  return checks;
}
