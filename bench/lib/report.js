// The printed table and bench/results/*.json.
const { mkdirSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');

const COLUMNS = [
  { title: 'row', width: 46, value: (r) => r.name },
  { title: 'rate', width: 8, value: (r) => number(r.rate, 0) },
  { title: 'unit', width: 13, value: (r) => r.unit },
  { title: 'p50 ms', width: 7, value: (r) => number(r.p50, 1) },
  { title: 'p99 ms', width: 7, value: (r) => number(r.p99, 1) },
  { title: '×bare', width: 6, value: (r) => number(r.vsBare, 2) },
  { title: '×sql 1', width: 6, value: (r) => number(r.vsSqlite1, 2) },
  { title: '×sql 32', width: 7, value: (r) => number(r.vsSqlite32, 2) },
  { title: 'RSS MiB', width: 7, value: (r) => number(r.rssMiB, 0) },
  { title: 'cli cpu', width: 7, value: (r) => number(r.clientCpu, 2) },
  { title: 'errors', width: 6, value: (r) => number(r.errors, 0) },
];

const LEGEND = `
  ×bare: the row's req/s over the bare express route of the same method. ×sql 1, ×sql 32: events stored a
  second (100 a bulk request) over rows a second of the bare SQLite loop at 1 and at 32 rows a commit.
  RSS: the server's resident memory after the row. cli cpu: cores this load generator used (near 1: it set the pace).
`;

// A 1-minute load average above this before the run means others shared the machine.
const BUSY_LOAD = 0.5;

function number(value, digits) {
  return value === null || value === undefined ? '-' : value.toFixed(digits);
}

function line(cells) {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(COLUMNS[i].width) : cell.padStart(COLUMNS[i].width))).join('  ');
}

function printTable(rows) {
  console.log(line(COLUMNS.map((c) => c.title)));
  console.log(line(COLUMNS.map((c) => '-'.repeat(c.width))));
  for (const row of rows) console.log(line(COLUMNS.map((c) => c.value(row))));
}

/** Notes under the table, and every row's errors with the status codes and a few answers. */
function printNotes(rows) {
  for (const row of rows.filter((r) => r.note)) console.log(`  ${row.name}: ${row.note}`);
  for (const row of rows.filter((r) => r.errors > 0)) {
    console.log(`  errors in "${row.name}": ${JSON.stringify(row.statusCodes ?? {})}`);
    for (const failure of row.failures ?? []) console.log(`    ${failure}`);
  }
}

/** The table, the notes, and what a reader needs to judge the figures: seeding time, load, wall clock. */
function printReport({ machine, settings, loadAverage, wallSeconds, seeding, rows }) {
  console.log(`\nreceiver on ${settings.engine}, ${settings.seconds} s a row, ${settings.connections} connections, ${machine.cpus} cpus, node ${machine.node}\n`);
  printTable(rows);
  console.log(LEGEND);
  printNotes(rows);
  for (const { from, to, seconds } of seeding) console.log(`  seeding admin requests ${from}–${to}: ${seconds.toFixed(1)} s`);
  const [before, after] = [loadAverage.before, loadAverage.after].map((l) => l.map((n) => n.toFixed(2)).join(' '));
  console.log(`  load average before / after: ${before} / ${after}`);
  if (loadAverage.before[0] > BUSY_LOAD) console.log('  other processes were using the CPUs when the run began: these figures do not compare with a quiet run');
  console.log(`  wall clock: ${wallSeconds.toFixed(0)} s`);
}

function writeResults(file, results) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

module.exports = { printReport, writeResults };
