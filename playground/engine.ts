/**
 * The one engine of the playground, its state machine and its Flux pipeline. The YAML files are
 * compiled to plain objects at build time by the theus/vite plugin (see vite.config.ts), so the
 * page ships no YAML parser.
 */
import { TheusEngine, WorkflowManager } from 'theus'
import * as processes from './processes'
import auditRecipe from './specs/audit_recipe.yaml'
import interest from './workflows/interest.yaml'
import workflow from './workflows/workflow.yaml'

/**
 * SPEC §1's context, with two more accounts and the ledger of the interest pipeline. Carol holds
 * enough for large transfers (the level C rule counts those over 5,000, the level B rule blocks
 * those over 10,000); Dave's account is frozen (a level A rule on `from_user`).
 */
export const initial = {
  global: { max_transfer: 10_000, interest_months: 3, monthly_rate: 0.01 },
  domain: {
    accounts: { Alice: 1000, Bob: 0, Carol: 15_000, Dave: 300 } as Record<string, number>,
    total_reserves: 1_000_000,
    sig_fraud_detected: false,
    meta_last_tx: '',
    heavy_chart: new Float64Array(365),
    ledger: { month: 0, accrued: 0 },
  },
}

/** The playground's engine: strict mode, with the audit recipe of `specs/audit_recipe.yaml`. */
export const engine = new TheusEngine(initial, { strictMode: true, auditRecipe })
engine.scanAndRegister({ './processes.ts': processes })

/** The state machine of `workflows/workflow.yaml`, running against the engine. */
export const machine = new WorkflowManager(engine, workflow)

/** The Flux pipeline of `workflows/interest.yaml`. */
export const interestPipeline = interest

// Handy in the devtools console.
Object.assign(globalThis, { engine, machine })
