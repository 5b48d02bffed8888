// Requests as the providers send them (CONTRACT 3), each one unique where the receiver dedupes:
// its own reference, X-EXTERNAL-ID, timestamp and signature. Every id carries the run's id, so
// runs against one PostgreSQL database never collide.
const { createHash, createHmac, createPrivateKey, sign } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { BILLER, PRIVATE_KEY } = require('./sources');

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'snap');
const QR_CPM_PATH = '/v1.0/qr/qr-cpm-notify';
const BULK_CASHIN_PATH = '/v1.0/emoney/bulk-cashin-notify';
const QR_CPM_EXAMPLE = JSON.parse(readFileSync(join(FIXTURES, 'qr-cpm-notify.json'), 'utf8'));
const BULK_EXAMPLE = JSON.parse(readFileSync(join(FIXTURES, 'bulk-cashin-notify.json'), 'utf8'));
const privateKey = createPrivateKey(PRIVATE_KEY);
const RUN_ID = Date.now().toString(36);

let sequence = 0;
/** `prefix` + the run's id + a counter: never sent before. */
function uniqueId(prefix) {
  sequence++;
  return `${prefix}${RUN_ID}${sequence.toString(36)}`;
}

/** A successful reversal report as in fixtures/biller (message parsed for SN, Saldo, Harga, Tgl). */
function billerCallback(refid) {
  const message = 'Transaksi+s5.2222222222+SUKSES,+SN:+11111111111,+Saldo:+Rp99,999,999,+Harga:+201,200,+Tgl:+01/01+10:32:12';
  const query = `status=0&refid=${encodeURIComponent(refid)}&product=banktrf&qty=1&dest=2222222222&message=${message}`;
  return { method: 'GET', path: `/callbacks/biller/${BILLER.id}/${BILLER.token}?${query}` };
}

function qrCpmNotify(source, accessToken, reference) {
  const body = JSON.stringify({ ...QR_CPM_EXAMPLE, originalPartnerReferenceNo: reference, originalReferenceNo: `P${reference}` });
  return signedNotify(source, accessToken, QR_CPM_PATH, body);
}

/** One bulk-cashin-notify carrying `items` transactions, each with its own partnerReferenceNo. */
function bulkCashinNotify(source, accessToken, items) {
  const [example] = BULK_EXAMPLE.bulkObject;
  const bulkObject = Array.from({ length: items }, () => {
    const reference = uniqueId('K');
    return { ...example, partnerReferenceNo: reference, referenceNo: `P${reference}` };
  });
  const body = JSON.stringify({ ...BULK_EXAMPLE, partnerBulkId: uniqueId('G'), bulkObject });
  return signedNotify(source, accessToken, BULK_CASHIN_PATH, body);
}

/** CONTRACT 3.2: HMAC-SHA512 with the client secret and Bearer token, or SHA256withRSA. */
function signedNotify(source, accessToken, path, body) {
  const timestamp = jakartaTimestamp();
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const headers = {
    'Content-Type': 'application/json',
    'X-TIMESTAMP': timestamp,
    'X-PARTNER-ID': source.partnerId,
    'X-EXTERNAL-ID': uniqueId('X'),
    'CHANNEL-ID': '95221',
  };
  if (source.signature === 'symmetric') {
    headers.Authorization = `Bearer ${accessToken}`;
    const stringToSign = `POST:${path}:${accessToken}:${bodyHash}:${timestamp}`;
    headers['X-SIGNATURE'] = createHmac('sha512', source.clientSecret).update(stringToSign).digest('base64');
  } else {
    headers['X-SIGNATURE'] = sign('sha256', Buffer.from(`POST:${path}:${bodyHash}:${timestamp}`), privateKey).toString('base64');
  }
  return { method: 'POST', path, headers, body };
}

/** POST /v1.0/access-token/b2b, signed `clientId|timestamp` with the provider's private key. */
async function requestAccessToken(baseUrl, source) {
  const timestamp = jakartaTimestamp();
  const res = await fetch(`${baseUrl}/v1.0/access-token/b2b`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-CLIENT-KEY': source.partnerId,
      'X-TIMESTAMP': timestamp,
      'X-SIGNATURE': sign('sha256', Buffer.from(`${source.partnerId}|${timestamp}`), privateKey).toString('base64'),
    },
    body: JSON.stringify({ grantType: 'client_credentials' }),
  });
  const answer = await res.json();
  if (!answer.accessToken) throw new Error(`access token refused: ${JSON.stringify(answer)}`);
  return answer.accessToken;
}

/** `2026-11-22T17:00:00+07:00`: SNAP providers send Jakarta time with its offset. */
function jakartaTimestamp() {
  return `${new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 19)}+07:00`;
}

/** The body of the qr-cpm-notify example, for the bare POST ceiling (same size as the SNAP rows). */
function exampleQrCpmBody() {
  return JSON.stringify(QR_CPM_EXAMPLE);
}

module.exports = { uniqueId, billerCallback, qrCpmNotify, bulkCashinNotify, requestAccessToken, exampleQrCpmBody, RUN_ID };
