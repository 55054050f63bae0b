import type { Selectable } from 'kysely';
import type { NewSchedule, Page, Schedule, ScheduleStatus, ScheduleStore } from '../../jobs/index.js';
import { decodeCursor, isNewestFirstCursor, olderThan, toPage } from '../pagination.js';
import { toSchedule } from '../row-mappers.js';
import type { SchedulesTable } from '../schema.js';
import type { StoreContext } from './store-context.js';

/** Recurring jobs (issue 9). */
export class KyselyScheduleStore implements ScheduleStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  async createSchedule(input: NewSchedule): Promise<Schedule> {
    const now = this.#context.clock.now();
    const row: Selectable<SchedulesTable> = {
      id: input.id,
      name: input.name,
      status: input.status,
      cron: input.cron,
      interval_seconds: input.intervalSeconds,
      timezone: input.timezone,
      template: JSON.stringify(input.template),
      next_run_at: input.nextRunAt,
      last_run_at: null,
      last_job_id: null,
      last_error: null,
      runs: 0,
      created_at: now,
      updated_at: now,
      tenant: input.tenant,
    };
    await this.#context.db.insertInto('schedules').values(row).execute();
    return toSchedule(row);
  }

  async getSchedule(id: string): Promise<Schedule | null> {
    const row = await this.#context.db
      .selectFrom('schedules')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toSchedule(row) : null;
  }

  /** Schedules, newest first. */
  async listSchedules(options: {
    limit: number;
    cursor?: string | undefined;
    tenant?: string | undefined;
  }): Promise<Page<Schedule>> {
    const after = decodeCursor(options.cursor, isNewestFirstCursor);
    let query = this.#context.db.selectFrom('schedules').selectAll();
    if (options.tenant !== undefined) query = query.where('tenant', '=', options.tenant);
    if (after) query = query.where(olderThan(after));
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit + 1)
      .execute();
    return toPage(rows, options.limit, toSchedule, (row) => [Number(row.created_at), row.id]);
  }

  /** Pauses or resumes a schedule; resuming sets when it fires next. Null when there is no such schedule. */
  async setScheduleStatus(id: string, status: ScheduleStatus, nextRunAt?: number): Promise<Schedule | null> {
    await this.#context.db
      .updateTable('schedules')
      .set({
        status,
        updated_at: this.#context.clock.now(),
        ...(nextRunAt !== undefined ? { next_run_at: nextRunAt } : {}),
      })
      .where('id', '=', id)
      .execute();
    return this.getSchedule(id);
  }

  /** Deletes a schedule (its jobs stay); false when there was none. */
  async deleteSchedule(id: string): Promise<boolean> {
    const result = await this.#context.db.deleteFrom('schedules').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Active schedules due at `now`, the longest overdue first. */
  async listDueSchedules(now: number, limit: number): Promise<Schedule[]> {
    const rows = await this.#context.db
      .selectFrom('schedules')
      .selectAll()
      .where('status', '=', 'active')
      .where('next_run_at', '<=', now)
      .orderBy('next_run_at')
      .limit(limit)
      .execute();
    return rows.map(toSchedule);
  }

  /**
   * Records a run of a schedule that was due at `scheduledAt` and moves it to `nextRunAt`, only if
   * it is still due at that time (no pause, resume or other run came in between). False otherwise.
   */
  async recordScheduleRun(
    id: string,
    scheduledAt: number,
    run: { nextRunAt: number; jobId: string | null; error: string | null },
  ): Promise<boolean> {
    const now = this.#context.clock.now();
    const result = await this.#context.db
      .updateTable('schedules')
      .set((eb) => ({
        next_run_at: run.nextRunAt,
        last_run_at: now,
        ...(run.jobId !== null ? { last_job_id: run.jobId } : {}),
        last_error: run.error,
        runs: eb('runs', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('next_run_at', '=', scheduledAt)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
