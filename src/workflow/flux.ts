/**
 * Flux for static importers (`theus/workflow`, `theus/yaml`, `theus/vite`): the runtime of
 * `fluxRuntime.ts` with its kit installed (see `kit.ts`). `engine.executeWorkflow` loads
 * `fluxRuntime.ts` on demand instead.
 */
import { FLUX_KIT } from './fluxKit.js'
import type {
  FluxDefinition,
  FluxInput,
  FluxRunOptions,
  ValidateFluxOptions,
} from './fluxRuntime.js'
import * as flux from './fluxRuntime.js'
import type { WorkflowHost } from './host.js'

export type {
  FluxDefinition,
  FluxInput,
  FluxRunOptions,
  FluxStep,
  ValidateFluxOptions,
} from './fluxRuntime.js'

/**
 * Checks a Flux pipeline (`steps:` or a bare list of steps) and returns its normalised form;
 * throws one `WorkflowError` listing every problem.
 */
export function validateFlux(obj: unknown, options: ValidateFluxOptions = {}): FluxDefinition {
  flux.installKit(FLUX_KIT)
  return flux.validateFlux(obj, options)
}

/** A checked pipeline from any accepted form (YAML text through the registered parser). */
export function toFluxDefinition(def: FluxInput): FluxDefinition {
  flux.installKit(FLUX_KIT)
  return flux.toFluxDefinition(def)
}

/**
 * Runs a Flux pipeline on an engine (any `WorkflowHost`): resolves to the names of the
 * processes run, in order.
 */
export function executeFlux(
  engine: WorkflowHost,
  def: FluxInput,
  args?: unknown,
  options: FluxRunOptions = {},
): Promise<string[]> {
  flux.installKit(FLUX_KIT)
  return flux.executeFlux(engine, def, args, options)
}
