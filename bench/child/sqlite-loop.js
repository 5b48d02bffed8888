// The storage ceiling: how many synced commits SQLite makes on this disk with nothing else in the
// way. Inserts rows about the size of an inbound record into a WAL database with
// synchronous = FULL (the receiver's settings), `rowsPerCommit` rows a transaction, for `seconds`.
//
//   node bench/child/sqlite-loop.js <file> <seconds> <rowsPerCommit>
//
// Sends {type: 'done', commits, rows, seconds} over IPC.
const { randomBytes } = require('node:crypto');
const Database = require('better-sqlite3');

const [file, seconds, rowsPerCommit] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];

function open(path) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table if not exists records (id text primary key, received_at text not null, payload text not null)');
  return db;
}

function run() {
  const db = open(file);
  const insert = db.prepare('insert into records (id, received_at, payload) values (?, ?, ?)');
  const payload = randomBytes(480).toString('hex'); // ~1 KB, like a stored SNAP request
  const commit = db.transaction((first) => {
    for (let i = 0; i < rowsPerCommit; i++) insert.run(`r${rowsPerCommit}-${first + i}`, new Date().toISOString(), payload);
  });
  let commits = 0;
  const startedAt = process.hrtime.bigint();
  const deadline = startedAt + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < deadline) {
    commit(commits * rowsPerCommit);
    commits++;
  }
  const elapsed = Number(process.hrtime.bigint() - startedAt) / 1e9;
  db.close();
  return { commits, rows: commits * rowsPerCommit, seconds: elapsed };
}

process.send({ type: 'done', ...run() }, () => process.exit(0));
