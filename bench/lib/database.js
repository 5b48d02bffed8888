// One database per phase, so each starts empty: an SQLite file in the bench's temporary folder,
// or, when BENCH_DATABASE_URL names a PostgreSQL database, a schema of its own in it (dropped at
// the end, so a shared bench database is left as it was).
const { join } = require('node:path');
const { URL } = require('node:url');
const { Client } = require('pg');

/** `{engine, name, url, file | schema}` for the phase `name`, remembered in `work.databases`. */
async function createDatabase(work, name) {
  const database = work.postgresUrl ? await createSchema(work, name) : sqliteFile(work, name);
  work.databases.push(database);
  return database;
}

function sqliteFile(work, name) {
  const file = join(work.dir, `${name}.db`);
  return { engine: 'sqlite', name, file, url: `sqlite:${file}` };
}

async function createSchema(work, name) {
  const schema = `bench_${work.runId}_${name}`;
  await withPostgres(work.postgresUrl, (client) => client.query(`create schema ${schema}`));
  return { engine: 'postgres', name, schema, url: withSearchPath(work.postgresUrl, schema) };
}

async function dropDatabases(work, databases) {
  const schemas = databases.filter((d) => d.engine === 'postgres').map((d) => d.schema);
  if (schemas.length === 0) return;
  await withPostgres(work.postgresUrl, (client) => client.query(`drop schema ${schemas.join(', ')} cascade`));
}

/** The server has no schema setting; libpq's `options` parameter puts its tables in ours. */
function withSearchPath(url, schema) {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function withPostgres(url, use) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

module.exports = { createDatabase, dropDatabases, withPostgres };
