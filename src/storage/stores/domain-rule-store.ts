import type { DomainRule } from '../../fetch/domain-rules.js';
import { inTransaction, type StoreContext } from './store-context.js';

/** A tenant's stored domain rule with its times. */
export interface StoredDomainRule {
  rule: DomainRule;
  createdAt: number;
  updatedAt: number;
}

/** Per-tenant domain rules (migration 0013); headers arrive sealed, never in clear. */
export class KyselyDomainRuleStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  async listDomainRules(tenant: string): Promise<DomainRule[]> {
    return (await this.listStoredDomainRules(tenant)).map((r) => r.rule);
  }

  async listStoredDomainRules(tenant: string): Promise<StoredDomainRule[]> {
    const rows = await this.#context.db
      .selectFrom('domain_rules')
      .selectAll()
      .where('tenant', '=', tenant)
      .orderBy('pattern')
      .limit(1000)
      .execute();
    return rows.map((row) => ({
      rule: JSON.parse(row.rule) as DomainRule,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    }));
  }

  async getDomainRule(tenant: string, pattern: string): Promise<StoredDomainRule | null> {
    const row = await this.#context.db
      .selectFrom('domain_rules')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('pattern', '=', pattern)
      .executeTakeFirst();
    return row === undefined
      ? null
      : {
          rule: JSON.parse(row.rule) as DomainRule,
          createdAt: Number(row.created_at),
          updatedAt: Number(row.updated_at),
        };
  }

  async countDomainRules(tenant: string): Promise<number> {
    const row = await this.#context.db
      .selectFrom('domain_rules')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant', '=', tenant)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Creates or replaces the rule of `rule.pattern` (headers already sealed); says which. */
  async putDomainRule(tenant: string, rule: DomainRule): Promise<'created' | 'replaced'> {
    if (rule.headers !== undefined) throw new Error('A stored domain rule carries sealed headers only');
    const now = this.#context.clock.now();
    return inTransaction(this.#context, async (trx) => {
      const existing = await trx.db
        .selectFrom('domain_rules')
        .select('created_at')
        .where('tenant', '=', tenant)
        .where('pattern', '=', rule.pattern)
        .executeTakeFirst();
      if (existing !== undefined) {
        await trx.db
          .updateTable('domain_rules')
          .set({ rule: JSON.stringify(rule), updated_at: now })
          .where('tenant', '=', tenant)
          .where('pattern', '=', rule.pattern)
          .execute();
        return 'replaced';
      }
      await trx.db
        .insertInto('domain_rules')
        .values({
          tenant,
          pattern: rule.pattern,
          rule: JSON.stringify(rule),
          created_at: now,
          updated_at: now,
        })
        .execute();
      return 'created';
    });
  }

  async deleteDomainRule(tenant: string, pattern: string): Promise<boolean> {
    const result = await this.#context.db
      .deleteFrom('domain_rules')
      .where('tenant', '=', tenant)
      .where('pattern', '=', pattern)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** The tenant of a job, or null when it is gone. */
  async tenantOfJob(jobId: string): Promise<string | null> {
    const row = await this.#context.db
      .selectFrom('jobs')
      .select('tenant')
      .where('id', '=', jobId)
      .executeTakeFirst();
    return row?.tenant ?? null;
  }
}
