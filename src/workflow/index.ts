/**
 * theus/workflow: the Flux runtime and the condition language, for code that runs or checks
 * pipelines without an engine method (`executeFlux` on any `WorkflowHost`, `validateFlux`,
 * `parseExpression`). Kept out of `theus` so that an app that never runs a pipeline does not
 * ship it (SPEC §10.5); `engine.executeWorkflow(def)` loads the same module on its first call.
 * The state machine (`StateMachine`, `WorkflowManager`, `validateWorkflow`) is exported by
 * `theus` and, for convenience, here too.
 */
export type { WorkflowDefinition, WorkflowState } from './definition.js'
export { checkWorkflowProcesses, signalKey, validateWorkflow } from './definition.js'
export type {
  BinaryOperator,
  Expression,
  ExpressionLocation,
  ExpressionNode,
  ExpressionRoot,
  ExpressionScope,
} from './expression.js'
export { evaluateExpression, parseExpression, testCondition } from './expression.js'
export type {
  FluxDefinition,
  FluxInput,
  FluxRunOptions,
  FluxStep,
  ValidateFluxOptions,
} from './flux.js'
export { executeFlux, validateFlux } from './flux.js'
export type { WorkflowHost } from './host.js'
export type {
  Locator as WorkflowLocator,
  ValidateOptions as ValidateWorkflowOptions,
} from './issues.js'
export type { WorkflowInput } from './StateMachine.js'
export { StateMachine } from './StateMachine.js'
export type { WorkflowStatus, WorkflowTransition } from './WorkflowManager.js'
export { WorkflowManager } from './WorkflowManager.js'
