import type { Kysely } from 'kysely';

// Subscribers an operator paused: their deliveries stay pending, in order, and no process claims
// them until the row is gone. In the database rather than in a process, so every replica honours
// a pause made through any of them. Same conventions as 001_initial.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('subscriber_pauses')
    .addColumn('subscriber_id', 'text', (c) => c.primaryKey())
    .addColumn('paused_at', 'text', (c) => c.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('subscriber_pauses').execute();
}
