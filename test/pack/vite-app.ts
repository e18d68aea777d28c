// App code as docs/vite.md shows it: YAML files imported through the `theus/vite` plugin, typed
// by the `declare module '*.yaml'` block of that page (copied into yaml-env.d.ts by the test).
import { TheusEngine, WorkflowManager } from 'theus'
import recipe from './specs/audit_recipe.yaml'
import pipeline from './workflows/pipeline.yaml'
import workflow from './workflows/workflow.yaml'

const initial = { global: { max_n: 3 }, domain: { n: 0 } }
const engine = new TheusEngine(initial, { auditRecipe: recipe })
export const manager = new WorkflowManager(engine, workflow)
export const names: Promise<string[]> = engine.executeWorkflow(pipeline)
