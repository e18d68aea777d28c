/**
 * The cases `node scripts/ab.mjs` compares between two source trees: each factory returns one
 * operation on its own engine (1 subscriber reading two balances, as the bank bench does).
 * Bundled once per tree, so that both trees run side by side in one process.
 */
import type { EngineOptions, TheusEngine } from 'theus'
import { bankEngine, LEVEL_C_RECIPE } from './bank.js'

let sink = 0
const args = { from: 'u0', to: 'u1', amount: 1 }

function engineOf(n: number, options: EngineOptions): TheusEngine {
  return bankEngine(n, options, (sum) => {
    sink += sum
  })
}

export const cases: Record<string, (n: number) => () => void> = {
  strict: (n) => {
    const e = engineOf(n, { runLogLimit: 1000 })
    return () => e.runProcess('transfer', args)
  },
  'non-strict': (n) => {
    const e = engineOf(n, { runLogLimit: 1000, strictMode: false })
    return () => e.runProcess('transfer', args)
  },
  'level C rule': (n) => {
    const e = engineOf(n, { runLogLimit: 1000, auditRecipe: LEVEL_C_RECIPE })
    return () => e.runProcess('transfer', args)
  },
  'rolled back': (n) => {
    const e = engineOf(n, { runLogLimit: 1000 })
    return () => {
      try {
        e.runProcess('failing', args)
      } catch {
        sink++
      }
    }
  },
  'undo/redo': (n) => {
    const e = engineOf(n, { runLogLimit: 1000 })
    e.runProcess('transfer', args)
    let undone = false
    return () => {
      undone = undone ? !e.redo() : e.undo()
    }
  },
  'default options': (n) => {
    const e = engineOf(n, {})
    return () => e.runProcess('transfer', args)
  },
}

export function sinkValue(): number {
  return sink
}
