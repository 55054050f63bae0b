/**
 * The scheduler with a fake clock, on SQLite and PostgreSQL (and MySQL when reachable): runs fire
 * on time, pause and resume, no burst after downtime, exactly one job per due time, and one
 * scheduler at a time across two instances through the `scheduler` lease.
 */
import { describe, expect, it } from 'vitest';
import { JobsService } from '../../src/jobs/index.js';
import { EmbeddedQueue } from '../../src/queue/index.js';
import { nextRunAfter, Scheduler, SchedulesService, type ScheduleStore } from '../../src/schedules/index.js';
import type { DialectName, KyselyJobRepository } from '../../src/storage/index.js';
import { databaseBackend, suiteTitle } from '../helpers/backends.js';
import { FakeClock, defaultOptions } from '../helpers/store.js';

const MINUTE = 60_000;

describe('nextRunAfter', () => {
  it('follows cron in its time zone across a daylight-saving change, and keeps an interval’s phase', () => {
    // 09:00 in Paris is 08:00Z in winter and 07:00Z in summer (DST began 2026-03-29).
    const saturday = Date.parse('2026-03-28T12:00:00Z');
    const first = nextRunAfter({ cron: '0 9 * * *', timezone: 'Europe/Paris' }, saturday);
    expect(new Date(first).toISOString()).toBe('2026-03-29T07:00:00.000Z');
    expect(
      new Date(
        nextRunAfter({ cron: '0 9 * * *', timezone: 'Europe/Paris' }, Date.parse('2026-03-27T12:00:00Z')),
      ).toISOString(),
    ).toBe('2026-03-28T08:00:00.000Z');
    // An interval: the first anchor + k × interval after now, never a past time.
    expect(nextRunAfter({ intervalSeconds: 60, anchor: 1000 }, 1000 + 10 * MINUTE + 5)).toBe(
      1000 + 11 * MINUTE,
    );
    expect(nextRunAfter({ intervalSeconds: 60, anchor: 5000 }, 1000)).toBe(5000);
  });
});

for (const name of ['sqlite', 'postgres', 'mysql'] as DialectName[]) {
  const backend = await databaseBackend(name);
  describe.skipIf(backend.skipReason !== undefined)(
    suiteTitle(`Scheduler on ${name}`, backend.skipReason),
    () => {
      async function setup() {
        const clock = new FakeClock(Date.parse('2026-01-05T10:00:00Z'));
        const db = await backend.open({ clock });
        const repository = db.repository;
        const jobs = new JobsService({
          repository,
          queue: new EmbeddedQueue(repository),
          defaults: defaultOptions,
          clock,
        });
        const schedules = new SchedulesService({ repository, jobs, clock });
        const scheduler = (store: ScheduleStore = repository, holder = 'a') =>
          new Scheduler({ store, fire: schedules.fire, clock, holder, leaseMs: 15_000 });
        return { db, clock, repository, jobs, schedules, scheduler };
      }

      async function jobCount(repository: KyselyJobRepository): Promise<number> {
        return (await repository.listJobs({ limit: 100 })).items.length;
      }

      it('fires on time, records the run, and does not fire a burst after downtime', async () => {
        const { clock, repository, schedules, scheduler } = await setup();
        const created = await schedules.create({
          template: {
            kind: 'urls',
            urls: ['https://site.test/a', 'https://site.test/b'],
            options: { maxAttempts: 1 },
            webhook: null,
          },
          intervalSeconds: 60,
        });
        expect(created.nextRunAt).toBe(clock.now() + MINUTE);
        const s = scheduler();
        expect(await s.tick()).toBe(0);
        clock.advance(MINUTE - 1);
        expect(await s.tick()).toBe(0);
        clock.advance(1);
        expect(await s.tick()).toBe(1);
        const afterFirst = await schedules.get(created.id);
        expect(afterFirst).toMatchObject({
          runs: 1,
          lastRunAt: clock.now(),
          nextRunAt: clock.now() + MINUTE,
          lastError: null,
        });
        const job = (await repository.getJob(afterFirst.lastJobId!))!;
        expect(job).toMatchObject({ total: 2 });
        expect(job.options.maxAttempts).toBe(1);
        expect(await s.tick()).toBe(0);

        // Ten hours down: one catch-up run, then back on its clock (phase kept).
        clock.advance(10 * 60 * MINUTE + 30_000);
        expect(await s.tick()).toBe(1);
        expect(await s.tick()).toBe(0);
        const afterDowntime = await schedules.get(created.id);
        expect(afterDowntime.runs).toBe(2);
        expect(afterDowntime.nextRunAt).toBe(created.nextRunAt + 601 * MINUTE);
        expect(await jobCount(repository)).toBe(2);
        await s.stop();
      });

      it('fires nothing while paused, and resumes at the next time after now', async () => {
        const { clock, repository, schedules, scheduler } = await setup();
        const created = await schedules.create({
          template: { kind: 'urls', urls: ['https://site.test/'], options: {}, webhook: null },
          cron: '*/5 * * * *',
          timezone: 'Europe/Berlin',
        });
        expect(created.nextRunAt).toBe(clock.now() + 5 * MINUTE);
        const s = scheduler();
        expect((await schedules.pause(created.id)).status).toBe('paused');
        clock.advance(60 * MINUTE);
        expect(await s.tick()).toBe(0);
        clock.advance(2 * MINUTE);
        const resumed = await schedules.resume(created.id);
        expect(resumed).toMatchObject({ status: 'active', nextRunAt: clock.now() + 3 * MINUTE });
        expect(await s.tick()).toBe(0);
        clock.advance(3 * MINUTE);
        expect(await s.tick()).toBe(1);
        expect(await jobCount(repository)).toBe(1);
        await schedules.delete(created.id);
        await expect(schedules.get(created.id)).rejects.toMatchObject({ code: 'schedule_not_found' });
        await s.stop();
      });

      it('creates one job per due time even when recording the run fails and the run is retried', async () => {
        const { clock, repository, schedules, scheduler } = await setup();
        const created = await schedules.create({
          template: { kind: 'urls', urls: ['https://site.test/'], options: {}, webhook: null },
          intervalSeconds: 60,
        });
        let failures = 1;
        const flaky: ScheduleStore = {
          listDueSchedules: (now, limit) => repository.listDueSchedules(now, limit),
          recordScheduleRun: (id, at, run) =>
            failures-- > 0
              ? Promise.reject(new Error('connection lost'))
              : repository.recordScheduleRun(id, at, run),
          acquireLease: (n, h, ttl) => repository.acquireLease(n, h, ttl),
          releaseLease: (n, h) => repository.releaseLease(n, h),
        };
        const s = scheduler(flaky);
        clock.advance(MINUTE);
        expect(await s.tick()).toBe(0);
        expect(await s.tick()).toBe(1);
        expect(await jobCount(repository)).toBe(1);
        expect((await schedules.get(created.id)).runs).toBe(1);
        await s.stop();
      });

      it('runs one scheduler at a time across two instances, and hands over on stop or lease expiry', async () => {
        const { db, clock, repository, schedules } = await setup();
        const other = db.connect({ clock }).repository;
        await schedules.create({
          template: { kind: 'urls', urls: ['https://site.test/'], options: {}, webhook: null },
          intervalSeconds: 60,
        });
        const fire = schedules.fire;
        const a = new Scheduler({ store: repository, fire, clock, holder: 'a', leaseMs: 15_000 });
        const b = new Scheduler({ store: other, fire, clock, holder: 'b', leaseMs: 15_000 });
        let firedByA = 0;
        let firedByB = 0;
        for (let minute = 1; minute <= 3; minute++) {
          clock.advance(MINUTE);
          firedByA += await a.tick();
          firedByB += await b.tick();
        }
        expect([a.isLeader, b.isLeader]).toEqual([true, false]);
        expect([firedByA, firedByB]).toEqual([3, 0]);
        await a.stop();
        clock.advance(MINUTE);
        expect(await b.tick()).toBe(1);
        expect(b.isLeader).toBe(true);

        // b dies without releasing: a fresh instance takes over once the lease expired.
        const c = new Scheduler({ store: repository, fire, clock, holder: 'c', leaseMs: 15_000 });
        clock.advance(5000);
        expect(await c.tick()).toBe(0);
        expect(c.isLeader).toBe(false);
        clock.advance(MINUTE);
        expect(await c.tick()).toBe(1);
        expect(c.isLeader).toBe(true);
        expect(await jobCount(repository)).toBe(5);
        await c.stop();
      });
    },
  );
}
