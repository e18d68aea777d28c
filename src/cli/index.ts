#!/usr/bin/env node
/**
 * The `theus` executable (bin `theus` → dist/cli.js). All logic is in `main.ts`, which tests
 * run in-process; this file only binds it to the real process.
 */
import process from 'node:process'
import { main } from './main.js'

// A reader that stops early (`theus audit inspect x --json | head -1`) closes the pipe: the
// rest of the output has nowhere to go, which is no failure and no reason for a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e
  })
}

process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
})
