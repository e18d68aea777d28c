import { TheusEngine, WorkflowManager } from 'theus'
import recipe from '../specs/audit_recipe.yaml'
import workflowDefinition from '../workflows/workflow.yaml'
import { contextSchema, initialContext } from './context'
import { notify } from './processes/notify'
import { transfer } from './processes/transfer'

/**
 * The one engine of the app: the context, its audit recipe, its schema and its processes.
 * Listing the processes here registers them and gives the engine their types, so
 * `runProcess('transfer', args)` and the hooks of ./hooks check names, args and results.
 */
export const engine = new TheusEngine(initialContext, {
  auditRecipe: recipe,
  schema: contextSchema,
  processes: { transfer, notify },
})

/** The state machine of workflows/workflow.yaml, driving the processes. */
export const workflow = new WorkflowManager(engine, workflowDefinition)
