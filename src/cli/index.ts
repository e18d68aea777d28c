#!/usr/bin/env node
/**
 * The `theus` executable (bin `theus` → dist/cli.js). All logic is in `main.ts`, which tests
 * run in-process; this file only binds it to the real process.
 */
import process from 'node:process'
import { main } from './main.js'

process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
})
