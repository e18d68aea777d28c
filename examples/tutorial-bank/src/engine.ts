import { TheusEngine, WorkflowManager } from 'theus'
import recipe from '../specs/audit_recipe.yaml'
import monthEnd from '../workflows/month_end.yaml'
import transfersWorkflow from '../workflows/transfers.yaml'
import { initial } from './context'
import { deposit } from './processes/deposit'
import { interest } from './processes/interest'
import { loan } from './processes/loan'
import { notify } from './processes/notify'
import { transfer } from './processes/transfer'

export const processes = { transfer, deposit, loan, notify, interest }

/** A new bank: one engine with its processes and recipe, and the transfers workflow. */
export function createBank() {
  const engine = new TheusEngine(initial, { auditRecipe: recipe, processes })
  const transfers = new WorkflowManager(engine, transfersWorkflow)
  const closeMonths = (until: number) => engine.executeWorkflow(monthEnd, { until })
  return { engine, transfers, closeMonths }
}

export const { engine, transfers, closeMonths } = createBank()
