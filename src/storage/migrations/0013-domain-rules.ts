import type { Kysely } from 'kysely';
import { dialectOf } from './types.js';

/**
 * Per-domain settings (issue 20): `domain_rules`, one row per tenant and host pattern
 * (`example.com`, `*.example.com`). `rule` is the JSON of the settings; its headers are sealed
 * with DISTILL_SECRET_KEY (the box and the names; never a value in clear).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = dialectOf(db);
  await db.schema
    .createTable('domain_rules')
    .addColumn('tenant', t.key(64), (c) => c.notNull())
    .addColumn('pattern', t.key(255), (c) => c.notNull())
    .addColumn('rule', t.longText, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('domain_rules_pk', ['tenant', 'pattern'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('domain_rules').execute();
}
