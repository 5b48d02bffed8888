// Load from this process with autocannon: a fixed duration, `connections` keep-alive connections,
// optionally capped at `rate` requests a second in all.
const autocannon = require('autocannon');

const KEPT_FAILURES = 3;

/**
 * Drives `url` for `seconds`. `nextRequest()` is called for every request (autocannon's
 * setupRequest), so each one carries its own ids and signature. Any answer but 2xx is an error.
 */
async function drive(url, nextRequest, { seconds, connections, rate }) {
  const failures = [];
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    ...(rate ? { overallRate: Math.max(1, Math.round(rate)) } : {}),
    requests: [
      {
        setupRequest: (defaults) => ({ ...defaults, ...nextRequest() }),
        onResponse: (status, body) => keepFailure(failures, status, body),
      },
    ],
  });
  return summarise(result, process.cpuUsage(cpuBefore), failures);
}

function keepFailure(failures, status, body) {
  if ((status < 200 || status > 299) && failures.length < KEPT_FAILURES) failures.push(`${status} ${body.slice(0, 200)}`);
}

function summarise(result, cpu, failures) {
  return {
    requests: result.requests.total,
    rate: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    failures,
    // Share of one core this process used: near 1.0 means the load generator, not the server, set the pace.
    clientCpu: (cpu.user + cpu.system) / 1e6 / result.duration,
  };
}

module.exports = { drive };
