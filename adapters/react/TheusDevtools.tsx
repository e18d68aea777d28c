import { type CSSProperties, type ReactNode, useContext, useEffect, useRef } from 'react'
import { type TheusEngine, TheusError, type WorkflowManager } from 'theus'
import { mountTheusDevtools, type TheusDevtoolsTab } from 'theus/devtools'
import { EngineContext } from './provider.js'

/** Props of `<TheusDevtools>`. */
export interface TheusDevtoolsProps {
  /** The engine to inspect (default: the nearest `<TheusProvider>`'s). */
  engine?: TheusEngine<any>
  /** Workflow managers to show, by name. */
  workflows?: Record<string, WorkflowManager>
  /** How many runs, findings and signals the panel keeps (default 100). */
  limit?: number
  /** The tab shown first (default `'state'`). */
  tab?: TheusDevtoolsTab
  className?: string
  style?: CSSProperties
}

/**
 * The Theus devtools panel as a React component: `mountTheusDevtools` in a `<div>`. Works
 * inside a `<TheusProvider>` (its engine) or outside one (pass `engine`).
 * @example
 * <TheusDevtools engine={engine} workflows={{ bank: machine }} />
 */
export function TheusDevtools(props: TheusDevtoolsProps): ReactNode {
  const fromProvider = useContext(EngineContext)
  const engine = props.engine ?? fromProvider
  if (engine === null)
    throw new TheusError(
      'NO_PROVIDER',
      '<TheusDevtools> has no engine: pass one (<TheusDevtools engine={engine} />) or render it inside <TheusProvider>.',
    )
  const ref = useRef<HTMLDivElement>(null)
  // An inline `workflows={{ ... }}` is a new object each render: remount only when the
  // managers themselves change.
  const workflows = useStable(props.workflows)
  const { limit, tab } = props
  useEffect(() => {
    const el = ref.current
    if (el === null) return undefined
    return mountTheusDevtools(engine, el, {
      ...(workflows === undefined ? {} : { workflows }),
      ...(limit === undefined ? {} : { limit }),
      ...(tab === undefined ? {} : { tab }),
    })
  }, [engine, workflows, limit, tab])
  return (
    <div ref={ref} className={props.className} style={props.style} data-theus-devtools-root="" />
  )
}

function useStable<T extends Record<string, unknown> | undefined>(value: T): T {
  const ref = useRef(value)
  const prev = ref.current
  const same =
    prev === value ||
    (prev !== undefined &&
      value !== undefined &&
      Object.keys(prev).length === Object.keys(value).length &&
      Object.keys(value).every((k) => prev[k] === value[k]))
  if (!same) ref.current = value
  return ref.current
}
