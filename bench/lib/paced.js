// Open-loop load at a steady rate: request k is sent at start + k / rate whether or not the earlier
// ones were answered. autocannon's overallRate cannot do this: each connection sends its share of
// a second's requests back to back as soon as the second begins, then waits for the next second,
// so "70 % of the max rate" arrives as a burst at the full rate for 0.7 s, and its p99 is the
// saturated p99. Latency here counts from when a request was due, so a queue in front of the
// server shows instead of slowing the sender down (no coordinated omission).
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { setTimeout: sleep } = require('node:timers/promises');
const { URL } = require('node:url');
const { percentile } = require('./stats');

const KEPT_FAILURES = 3;

async function pace(url, nextRequest, { seconds, rate, maxSockets = 64 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const { hostname, port } = new URL(url);
  const outcomes = [];
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const total = Math.round(seconds * rate);
  for (let k = 0; k < total; k++) {
    const due = start + (k * 1000) / rate;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait); // below a millisecond, timers cannot wait that precisely
    outcomes.push(send(agent, { hostname, port, ...nextRequest() }).then((answer) => ({ ...answer, latency: performance.now() - due })));
  }
  const answers = await Promise.all(outcomes);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  return summarise(answers, elapsed, process.cpuUsage(cpuBefore));
}

/** One request; answers {status, body}, status 0 when the connection failed. */
function send(agent, { hostname, port, method, path, headers, body }) {
  return new Promise((resolve) => {
    const req = http.request({ agent, hostname, port, method, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (error) => resolve({ status: 0, body: error.message }));
    req.end(body);
  });
}

function summarise(answers, elapsed, cpu) {
  const latencies = answers.map((a) => a.latency).sort((a, b) => a - b);
  const failed = answers.filter((a) => a.status < 200 || a.status > 299);
  const statusCodes = {};
  for (const { status } of answers) statusCodes[status] = (statusCodes[status] ?? 0) + 1;
  return {
    requests: answers.length,
    rate: answers.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors: failed.length,
    statusCodes,
    failures: failed.slice(0, KEPT_FAILURES).map((a) => `${a.status} ${a.body.slice(0, 200)}`),
    clientCpu: (cpu.user + cpu.system) / 1e6 / elapsed,
  };
}

module.exports = { pace };
