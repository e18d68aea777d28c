#!/usr/bin/env node
// Prints the one counting line of `.ci/run`, `N passed, N failed[, N skipped]`, from Vitest's
// JSON report. Usage: node scripts/test-summary.mjs <vitest.json> [failed steps] [vitest exit code]
//
// A test file that failed without any failed test (it did not load, or a hook threw) counts as
// one failure, and so does each earlier CI step that failed: a red run never prints 0 failed.
// A missing or unreadable report, or a Vitest that exited non-zero with no failure in its
// report, counts as one failure. Exit code: 1 when anything failed.
import { existsSync, readFileSync } from 'node:fs'

const [reportPath = '.tmp/vitest.json', stepsArg = '0', rcArg = '0'] = process.argv.slice(2)
const failedSteps = Number.parseInt(stepsArg, 10) || 0
const vitestRc = Number.parseInt(rcArg, 10) || 0

let passed = 0
let failed = failedSteps
let skipped = 0

let report
try {
  report = existsSync(reportPath) ? JSON.parse(readFileSync(reportPath, 'utf8')) : undefined
} catch (e) {
  console.error(`[test-summary] cannot read ${reportPath}: ${e.message}`)
}

if (!report) {
  console.error(`[test-summary] no test report at ${reportPath}: counting the test run as failed`)
  failed += 1
} else {
  passed = report.numPassedTests ?? 0
  failed += report.numFailedTests ?? 0
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
  for (const file of report.testResults ?? []) {
    const anyFailedTest = (file.assertionResults ?? []).some((t) => t.status === 'failed')
    if (file.status === 'failed' && !anyFailedTest) {
      const why = String(file.message ?? '').split('\n')[0]
      console.error(`[test-summary] ${file.name} failed outside its tests: ${why}`)
      failed += 1
    }
  }
  if ((report.success === false || vitestRc !== 0) && failed === failedSteps) {
    console.error(`[test-summary] vitest failed (exit ${vitestRc}) without a failed test`)
    failed += 1
  }
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 ? 1 : 0)
