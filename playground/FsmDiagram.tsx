/**
 * A state machine drawn as a diagram: one box per state (its entry processes under its name),
 * one arrow per transition labelled with its event, the current state highlighted and named
 * `Current state` for assistive technology, the last transition taken drawn in the accent
 * colour. Plain SVG with a viewBox, so it scales down to a phone's width.
 */
import { type ReactNode, useSyncExternalStore } from 'react'
import type { WorkflowDefinition, WorkflowStatus, WorkflowTransition } from 'theus'

/**
 * Two drawings of the same machine: wide (states around a flat ellipse, the initial state on
 * the left) and, on a phone, tall (states in a column, the initial state on top, transitions
 * down on the left and up on the right), so that the text keeps its size instead of shrinking
 * with the viewBox.
 */
interface Frame {
  kind: 'ellipse' | 'column'
  w: number
  h: number
}
const NODE_W = 166
/** Column layout: the room a label needs beside the column. */
const LABEL_ROOM = 52
const ROW = 112
const NODE_H = 54
const NARROW = '(max-width: 520px)'

function useNarrow(): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const mq = matchMedia(NARROW)
      mq.addEventListener('change', onChange)
      return () => mq.removeEventListener('change', onChange)
    },
    () => matchMedia(NARROW).matches,
    () => false,
  )
}

interface Point {
  x: number
  y: number
}

function frameOf(narrow: boolean, n: number): Frame {
  return narrow
    ? {
        kind: 'column',
        w: NODE_W + 4 * LABEL_ROOM + 8,
        h: ROW * Math.max(n, 1) - ROW + NODE_H + 24,
      }
    : { kind: 'ellipse', w: 560, h: 300 }
}

/** States on an ellipse (the initial state first, on the left, then clockwise) or in a column. */
function layout(states: readonly string[], { kind, w, h }: Frame): Map<string, Point> {
  const out = new Map<string, Point>()
  if (kind === 'column') {
    states.forEach((s, i) => {
      out.set(s, { x: w / 2, y: 12 + NODE_H / 2 + ROW * i })
    })
    return out
  }
  const rx = w / 2 - NODE_W / 2 - 12
  const ry = h / 2 - NODE_H / 2 - 14
  states.forEach((s, i) => {
    const a = Math.PI + (2 * Math.PI * i) / Math.max(states.length, 1)
    out.set(s, { x: w / 2 + rx * Math.cos(a), y: h / 2 + ry * Math.sin(a) })
  })
  return out
}

/** Where the segment from the centre of a box towards `toward` leaves the box. */
function leaveBox(c: Point, toward: Point): Point {
  const dx = toward.x - c.x
  const dy = toward.y - c.y
  const sx = dx === 0 ? Infinity : NODE_W / 2 / Math.abs(dx)
  const sy = dy === 0 ? Infinity : NODE_H / 2 / Math.abs(dy)
  const s = Math.min(sx, sy)
  return { x: c.x + dx * s, y: c.y + dy * s }
}

interface Edge {
  from: string
  to: string
  event: string
}

function edgesOf(def: WorkflowDefinition): Edge[] {
  return Object.entries(def.states).flatMap(([from, st]) =>
    Object.entries(st.events).map(([event, to]) => ({ from, to, event })),
  )
}

function EdgePath({
  edge,
  pos,
  reverse,
  taken,
  column,
}: {
  edge: Edge
  pos: Map<string, Point>
  reverse: boolean
  taken: boolean
  column: boolean
}): ReactNode {
  const a = pos.get(edge.from)
  const b = pos.get(edge.to)
  if (a === undefined || b === undefined) return null
  let d: string
  let label: Point
  if (edge.from === edge.to) {
    // A self-loop: a small arc above the box.
    const top = a.y - NODE_H / 2
    d = `M ${a.x - 20} ${top} C ${a.x - 40} ${top - 46}, ${a.x + 40} ${top - 46}, ${a.x + 20} ${top}`
    label = { x: a.x, y: top - 40 }
  } else {
    // A curve bent to the right of its direction, more when the reverse edge exists, so that
    // A→B and B→A never overlap.
    const dx = b.x - a.x
    const dy = b.y - a.y
    const len = Math.hypot(dx, dy) || 1
    // In a column every edge swings out beside the boxes, its apex clear of the column by
    // the room its label needs.
    // The curve leaves its boxes at their sides (NODE_W / 2 out), so its apex sits halfway
    // between that and the control point: the control point goes out 2 × apex − NODE_W / 2.
    const bend = column
      ? 2 * (NODE_W / 2 + LABEL_ROOM - 4) - NODE_W / 2
      : len * (reverse ? 0.22 : 0.1)
    const c = { x: (a.x + b.x) / 2 - (dy / len) * bend, y: (a.y + b.y) / 2 + (dx / len) * bend }
    const p0 = leaveBox(a, c)
    const p2 = leaveBox(b, c)
    d = `M ${p0.x} ${p0.y} Q ${c.x} ${c.y} ${p2.x} ${p2.y}`
    label = { x: 0.25 * p0.x + 0.5 * c.x + 0.25 * p2.x, y: 0.25 * p0.y + 0.5 * c.y + 0.25 * p2.y }
  }
  return (
    // biome-ignore lint/a11y/noInteractiveElementToNoninteractiveRole: an SVG <g> is not interactive; role="img" names the drawn transition for assistive technology
    <g
      className={taken ? 'edge taken' : 'edge'}
      data-testid={`fsm-edge-${edge.from}-${edge.event}`}
      aria-label={`${edge.from} to ${edge.to} on ${edge.event}`}
      role="img"
    >
      <path d={d} markerEnd={taken ? 'url(#fsm-arrow-taken)' : 'url(#fsm-arrow)'} />
      <text x={label.x} y={label.y} textAnchor="middle" dominantBaseline="middle">
        {edge.event}
      </text>
    </g>
  )
}

/**
 * The diagram of a state machine definition.
 * @example
 * <FsmDiagram definition={manager.definition} state={state} status={status} last={history.at(-1)} />
 */
export function FsmDiagram({
  definition,
  state,
  status,
  last,
}: {
  definition: WorkflowDefinition
  state: string
  status: WorkflowStatus
  last: WorkflowTransition | undefined
}): ReactNode {
  const names = Object.keys(definition.states)
  // The initial state first, so that it sits on the left.
  const ordered = [definition.initial, ...names.filter((n) => n !== definition.initial)]
  const frame = frameOf(useNarrow(), ordered.length)
  const pos = layout(ordered, frame)
  const edges = edgesOf(definition)
  // On an ellipse the states need not fill it evenly (three sit at −1, ½, ½ of its width):
  // centre the drawing on what is drawn, with room around it for the curves and their labels.
  let viewBox = `0 0 ${frame.w} ${frame.h}`
  if (frame.kind === 'ellipse' && pos.size > 0) {
    const xs = [...pos.values()].map((p) => p.x)
    const pad = 56
    const minX = Math.min(...xs) - NODE_W / 2 - pad
    const maxX = Math.max(...xs) + NODE_W / 2 + pad
    const x = Math.min(minX, (minX + maxX) / 2 - frame.w / 2)
    viewBox = `${x} 0 ${Math.max(maxX - minX, frame.w)} ${frame.h}`
  }
  const has = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to)
  return (
    // biome-ignore lint/a11y/useSemanticElements: an <svg> cannot be a <fieldset>; role="group" keeps its states and transitions reachable
    <svg
      className="fsm"
      viewBox={viewBox}
      style={{ maxWidth: frame.w }}
      role="group"
      aria-label={`State machine ${definition.name ?? ''}: current state ${state}, ${status}`}
      data-testid="fsm-diagram"
    >
      <defs>
        {(['fsm-arrow', 'fsm-arrow-taken'] as const).map((id) => (
          <marker
            key={id}
            id={id}
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" className={id} />
          </marker>
        ))}
      </defs>
      {edges.map((e) => (
        <EdgePath
          key={`${e.from}:${e.event}`}
          edge={e}
          pos={pos}
          reverse={has(e.to, e.from)}
          taken={last !== undefined && last.from === e.from && last.event === e.event}
          column={frame.kind === 'column'}
        />
      ))}
      {ordered.map((s) => {
        const p = pos.get(s)!
        const current = s === state
        const entry = definition.states[s]?.entry ?? []
        return (
          // biome-ignore lint/a11y/noInteractiveElementToNoninteractiveRole: an SVG <g> is not interactive; role="img" with its label names the state (and the current one) for assistive technology
          <g
            key={s}
            className={current ? `node current ${status}` : 'node'}
            data-testid={`fsm-node-${s}`}
            role="img"
            aria-current={current ? 'step' : undefined}
            aria-label={
              current
                ? `Current state: ${s}${status === 'idle' ? '' : ` (${status})`}`
                : `State ${s}`
            }
          >
            <rect x={p.x - NODE_W / 2} y={p.y - NODE_H / 2} width={NODE_W} height={NODE_H} rx="8" />
            <text
              x={p.x}
              y={p.y - (entry.length > 0 ? 7 : 0)}
              textAnchor="middle"
              dominantBaseline="middle"
              className="name"
            >
              {s}
            </text>
            {entry.length > 0 && (
              <text
                x={p.x}
                y={p.y + 13}
                textAnchor="middle"
                dominantBaseline="middle"
                className="entry"
              >
                {entry.join(', ')}
              </text>
            )}
            {s === definition.initial && (
              <circle cx={p.x - NODE_W / 2 - 6} cy={p.y} r="4" className="initial" />
            )}
          </g>
        )
      })}
    </svg>
  )
}
