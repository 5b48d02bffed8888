// Writes jest's own pass/fail counts to a file, so .ci/run can print them after `npm test`.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

class CountReporter {
  constructor(globalConfig, options = {}) {
    this.rootDir = globalConfig.rootDir;
    this.file = options.file ?? '.jest-results.json';
  }

  onRunComplete(_contexts, results) {
    const counts = {
      numPassedTests: results.numPassedTests,
      numFailedTests: results.numFailedTests,
      numPendingTests: results.numPendingTests,
      numTotalTests: results.numTotalTests,
      numRuntimeErrorTestSuites: results.numRuntimeErrorTestSuites,
      success: results.success,
    };
    writeFileSync(join(this.rootDir, this.file), `${JSON.stringify(counts)}\n`);
  }
}

module.exports = CountReporter;
