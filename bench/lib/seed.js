// Rows written straight into a migrated database, for the admin list rows and the forwarding
// backlog. Request i (0 = newest) is one stored inbound record, its event and its transaction,
// 2.592 s before request i - 1 (10^6 requests span 30 days), so seeding more adds older history.
// Half the traffic is biller, the rest SNAP; statuses are mostly SUCCESS, NOT_FOUND is 1 in 10^4
// (the "few matches" filter), and every 33rd request was repeated (a duplicate inbound record).
//
// The database generates the rows itself (one INSERT … SELECT per table over a counting CTE, the
// same SQL on both engines but for two functions): about twice as fast as binding them one by one
// from JavaScript, which matters at 10^6.
const Database = require('better-sqlite3');
const { withPostgres } = require('./database');

const SPACING_MS = 2_592;

const DIALECTS = {
  sqlite: {
    pad: (expr, width) => `printf('%0${width}d', ${expr})`,
    isoTime: (ms) => `strftime('%Y-%m-%dT%H:%M:%fZ', (${ms}) / 1000.0, 'unixepoch')`,
  },
  postgres: {
    pad: (expr, width) => `lpad((${expr})::text, ${width}, '0')`,
    isoTime: (ms) => `to_char(to_timestamp((${ms}) / 1000.0) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  },
};

const SNAP_HEADERS =
  '{"content-type":"application/json","x-timestamp":"2026-11-22T17:00:00+07:00","x-partner-id":"82150823919040624621823174737537",' +
  '"x-external-id":"41807553358950093184162180797837","channel-id":"95221","authorization":"[REDACTED]","x-signature":"[REDACTED]"}';
const BILLER_HEADERS = '{"host":"receiver.example","user-agent":"Biller/1.0","accept":"*/*"}';
const BILLER_QUERY =
  '&product=banktrf&qty=1&dest=2222222222&message=Transaksi+s5.2222222222+SUKSES,+SN:+11111111111,+Saldo:+Rp99,999,999,+Harga:+201,200,+Tgl:+01/01+10:32:12';
const QR_ANSWER = '{"responseCode":"2007900","responseMessage":"Successful"}';
const BULK_ANSWER = '{"responseCode":"2004100","responseMessage":"Successful"}';

/** Who sent request i, by i % 20: 10 biller, 6 symmetric qr-cpm, 3 bulk-cashin, 1 asymmetric qr-cpm. */
const PROFILES = `profile(first_slot, last_slot, source_id, channel, method, path, provider_status, answer, headers) as (values
  (0, 9, 'biller-bench', 'biller', 'GET', '/callbacks/biller/biller-bench/[REDACTED]', '0', 'OK', '${BILLER_HEADERS}'),
  (10, 15, 'snap-sym', 'snap.qr-cpm', 'POST', '/v1.0/qr/qr-cpm-notify', '00', '${QR_ANSWER}', '${SNAP_HEADERS}'),
  (16, 18, 'snap-sym', 'snap.bulk-cashin', 'POST', '/v1.0/emoney/bulk-cashin-notify', '2004100', '${BULK_ANSWER}', '${SNAP_HEADERS}'),
  (19, 19, 'snap-asym', 'snap.qr-cpm', 'POST', '/v1.0/qr/qr-cpm-notify', '00', '${QR_ANSWER}', '${SNAP_HEADERS}'))`;

/** Every `step`th request from..to-1, with what every table derives from it. */
function requests(dialect, from, to, now, step = 1) {
  const { pad, isoTime } = DIALECTS[dialect];
  // A multiplicative hash scatters the rare statuses over time and sources.
  const spread = '((i * 2654435761) % 4294967296) % 10000';
  const first = Math.ceil(from / step) * step;
  return `with recursive
  n(i) as (select cast(${first} as bigint) where ${first} < ${to} union all select i + ${step} from n where i + ${step} < ${to}),
  ${PROFILES},
  request as (
    select i, profile.*,
      ${isoTime(`${now} - i * ${SPACING_MS}`)} as happened_at,
      ${isoTime(`${now} - i * ${SPACING_MS} + 1000`)} as repeated_at,
      '2020' || ${pad('i', 18)} as reference,
      'evt_seed' || ${pad('i', 10)} as event_id,
      'inb_seed' || ${pad('i', 10)} as inbound_id,
      case when ${spread} = 0 then 'NOT_FOUND' when ${spread} <= 10 then 'REFUNDED' when ${spread} <= 160 then 'FAILED'
           when ${spread} <= 460 then 'PENDING' else 'SUCCESS' end as status
    from n join profile on i % 20 between first_slot and last_slot)`;
}

const DETAILS = `'{"merchantId":"00007100010926","customerNumber":"6281388370001","bankCode":"002","reference":"' || reference || '"}'`;

function insertEvents(dialect, from, to, now) {
  return `${requests(dialect, from, to, now)}
insert into events (id, created_at, source_id, channel, reference, status, provider_reference, provider_status, amount_value,
  amount_currency, occurred_at, received_at, stale, details, inbound_id, transaction_seq, reversal)
select event_id, happened_at, source_id, channel, reference, status, 'P' || reference, provider_status, '50000.00',
  'IDR', happened_at, happened_at, 0, ${DETAILS}, inbound_id, 1, 0
from request`;
}

function insertTransactions(dialect, from, to, now) {
  return `${requests(dialect, from, to, now)}
insert into transactions (source_id, reference, channel, status, status_event_id, event_count, created_at, updated_at)
select source_id, reference, channel, status, event_id, 1, happened_at, happened_at
from request`;
}

/** Each event's accepted request; and every 33rd request again, a while later, kept as a duplicate. */
const ACCEPTED = { step: 1, idSuffix: '', receivedAt: 'happened_at', outcome: 'accepted', reason: 'null' };
const REPEATED = { step: 33, idSuffix: 'd', receivedAt: 'repeated_at', outcome: 'duplicate', reason: "'duplicate of ' || event_id" };

function insertInbound(dialect, from, to, now, kind) {
  const snapBody = `'{"originalPartnerReferenceNo":"' || reference || '","latestTransactionStatus":"00","amount":{"value":"50000.00","currency":"IDR"}}'`;
  return `${requests(dialect, from, to, now, kind.step)}
insert into inbound_records (id, request_id, received_at, source_id, channel, client_ip, method, url, headers, body, outcome,
  reason, response_status, response_body, signature_form, signature_path)
select inbound_id || '${kind.idSuffix}', 'req-' || inbound_id, ${kind.receivedAt}, source_id, channel, '203.0.113.10', method,
  case when method = 'GET' then path || '?status=0&refid=' || reference || '${BILLER_QUERY}' else path end,
  headers, case when method = 'POST' then ${snapBody} end, '${kind.outcome}', ${kind.reason}, 200, answer,
  case when method = 'POST' then 'raw' end, case when method = 'POST' then path end
from request`;
}

/** Inbound records first: events point at them. */
function statements(dialect, from, to, now) {
  return [
    insertInbound(dialect, from, to, now, ACCEPTED),
    insertInbound(dialect, from, to, now, REPEATED),
    insertEvents(dialect, from, to, now),
    insertTransactions(dialect, from, to, now),
  ];
}

/** Seeds requests `from` (inclusive) to `to` (exclusive) of a history that ends at `now` (ms). */
async function seed(database, { from, to, now }) {
  if (database.engine === 'sqlite') seedSqlite(database.file, statements('sqlite', from, to, now));
  else await seedPostgres(database.url, statements('postgres', from, to, now));
}

function seedSqlite(file, sqls) {
  const db = new Database(file);
  // Fixture data nobody must keep: no journal, no sync, no foreign-key lookups while seeding.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('foreign_keys = OFF');
  db.pragma('cache_size = -1000000');
  withoutSecondaryIndexes(db, () => {
    for (const sql of sqls) db.exec(sql);
  });
  db.pragma('journal_mode = WAL');
  db.close();
}

/**
 * Building an index once over all rows is several times faster than updating it row by row.
 * Indexes behind a primary key or unique constraint stay (on PostgreSQL too, below).
 */
function withoutSecondaryIndexes(db, seedRows) {
  const indexes = db
    .prepare("select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in ('events', 'inbound_records', 'transactions')")
    .all();
  for (const { name } of indexes) db.exec(`drop index ${name}`);
  seedRows();
  for (const { sql } of indexes) db.exec(sql);
}

async function seedPostgres(url, sqls) {
  await withPostgres(url, async (client) => {
    await client.query("set synchronous_commit = off; set maintenance_work_mem = '256MB'");
    const { rows: indexes } = await client.query(`
      select indexname, indexdef from pg_indexes
      where schemaname = current_schema() and tablename in ('events', 'inbound_records', 'transactions')
        and indexname not in (select conname from pg_constraint)`);
    for (const { indexname } of indexes) await client.query(`drop index ${indexname}`);
    for (const sql of sqls) await client.query(sql);
    for (const { indexdef } of indexes) await client.query(indexdef);
    await client.query('analyze inbound_records, events, transactions');
  });
}

/** What the admin rows look for: the reference of the middle request, and a day before the newest. */
function landmarks(count, now) {
  return {
    reference: `2020${String(Math.floor(count / 2)).padStart(18, '0')}`,
    dayAgo: new Date(now - 86_400_000).toISOString(),
  };
}

module.exports = { seed, landmarks };
