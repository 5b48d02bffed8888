/** The q-quantile (0..1) of numbers sorted ascending, by the nearest-rank method; null if none. */
function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

module.exports = { percentile };
