/**
 * The Theus devtools panel, framework-free: it renders into a shadow root inside the element it
 * is given, follows the engine through its events (never by polling), and keeps bounded lists.
 * Everything is read from the engine's public surface; all text goes through `textContent`, so
 * no state value can inject markup.
 *
 * Why one file over 600 lines: the panel is one closure. Its bounded records, the skeleton, the
 * render scheduler (the dirty tabs) and each tab's renderer share that closure's state; moving
 * the tab renderers out would pass all of it around in a context object. What stands alone is
 * already apart: value formatting in `format.ts`, the styles in `styles.ts`, the HMR notice in
 * `hmr.ts`.
 */
import type {
  AuditLogEntry,
  CommitEvent,
  HistoryEntry,
  RollbackEvent,
  SignalEvent,
  TheusEngine,
  WorkflowManager,
} from 'theus'
import { diffLines, errorInfo, isContainer, preview, short, sizeOf, summary } from './format.js'
import { HMR_EVENT, type TheusHmrNotice } from './hmr.js'
import { STYLES } from './styles.js'

/** The panel's tabs, in order. */
export type TheusDevtoolsTab =
  | 'state'
  | 'runs'
  | 'history'
  | 'audit'
  | 'signals'
  | 'processes'
  | 'workflows'

/** Options of `mountTheusDevtools()` and `<TheusDevtools>`. */
export interface TheusDevtoolsOptions {
  /** Workflow managers to show, by the name the panel gives them. */
  workflows?: Record<string, WorkflowManager>
  /** How many runs, findings and signals the panel keeps (default 100). */
  limit?: number
  /** The tab shown first (default `'state'`). */
  tab?: TheusDevtoolsTab
}

const TABS: readonly [TheusDevtoolsTab, string][] = [
  ['state', 'State'],
  ['runs', 'Runs'],
  ['history', 'History'],
  ['audit', 'Audit'],
  ['signals', 'Signals'],
  ['processes', 'Processes'],
  ['workflows', 'Workflows'],
]
// Children shown per container in the state tree: a 100 000-key record stays cheap to open.
const MAX_CHILDREN = 200
const LEVELS = ['S', 'A', 'B', 'C'] as const

type Child = Node | string | null | undefined | false
type Attrs = Record<string, string | number | boolean | undefined>

function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (k === 'class') el.className = String(v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    el.append(typeof c === 'string' ? document.createTextNode(c) : c)
  }
  return el
}

type Run =
  | { id: number; kind: 'commit'; event: CommitEvent }
  | { id: number; kind: 'rollback'; event: RollbackEvent }

/**
 * Mounts the devtools panel for an engine inside `element` (in a shadow root, so the page's
 * styles and the panel's never meet). Returns the function that unmounts it and stops
 * listening. Works with any framework, or none.
 * @example
 * const unmount = mountTheusDevtools(engine, document.getElementById('devtools')!, {
 *   workflows: { bank: machine },
 * })
 */
export function mountTheusDevtools(
  engine: TheusEngine<any>,
  element: Element,
  options: TheusDevtoolsOptions = {},
): () => void {
  const limit = Math.max(1, options.limit ?? 100)
  const workflows = Object.entries(options.workflows ?? {})
  const host = document.createElement('div')
  host.setAttribute('data-theus-devtools', '')
  element.append(host)
  const root = host.attachShadow({ mode: 'open' })

  //#region the records the panel keeps (bounded, newest last)
  let runId = 0
  const runs: Run[] = []
  const signals: { id: number; event: SignalEvent }[] = []
  const findings: { id: number; entry: AuditLogEntry }[] = [
    ...engine.auditLog.slice(-limit).map((entry) => ({ id: runId++, entry })),
  ]
  // The latest finding per counter (process:gate:field:condition): its count against its threshold.
  const counters = new Map<string, AuditLogEntry>()
  for (const { entry } of findings) counters.set(counterKey(entry), entry)
  // Entries undone, most recent last: what redo() will bring back, for the slider and the list.
  const undone: HistoryEntry[] = []
  let knownHistory = engine.history
  let scheduled = false
  let disposed = false
  const push = <T>(list: T[], item: T) => {
    list.push(item)
    if (list.length > limit) list.splice(0, list.length - limit)
  }
  //#endregion

  //#region skeleton
  const title = h('h2', {}, 'Theus devtools')
  const haltBadge = h('span', { class: 'halted', role: 'status', 'data-testid': 'devtools-halted' })
  const resumeButton = h('button', { type: 'button', 'data-testid': 'devtools-resume' }, 'Resume')
  const first = h(
    'button',
    { type: 'button', 'aria-label': 'Jump to the oldest state', 'data-testid': 'devtools-first' },
    '|◀',
  ) as HTMLButtonElement
  const back = h(
    'button',
    { type: 'button', 'aria-label': 'Step back (undo)', 'data-testid': 'devtools-back' },
    '◀',
  ) as HTMLButtonElement
  const slider = h('input', {
    type: 'range',
    min: 0,
    step: 1,
    'aria-label': 'Position in history',
    'data-testid': 'devtools-slider',
  }) as HTMLInputElement
  const position = h('output', { 'data-testid': 'devtools-position' })
  const forward = h(
    'button',
    { type: 'button', 'aria-label': 'Step forward (redo)', 'data-testid': 'devtools-forward' },
    '▶',
  ) as HTMLButtonElement
  const last = h(
    'button',
    { type: 'button', 'aria-label': 'Jump to the latest state', 'data-testid': 'devtools-last' },
    '▶|',
  ) as HTMLButtonElement
  const travel = h(
    'div',
    { class: 'travel', role: 'group', 'aria-label': 'Time travel' },
    first,
    back,
    slider,
    position,
    forward,
    last,
  )
  const tablist = h('div', { role: 'tablist', 'aria-label': 'Devtools views' })
  const tabButtons = new Map<TheusDevtoolsTab, HTMLButtonElement>()
  const panels = new Map<TheusDevtoolsTab, HTMLElement>()
  const uid = `theus-devtools-${++mounted}`
  for (const [tab, label] of TABS) {
    const button = h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: `${uid}-tab-${tab}`,
        'aria-controls': `${uid}-panel-${tab}`,
        'data-testid': `devtools-tab-${tab}`,
        'data-tab': tab,
      },
      label,
    ) as HTMLButtonElement
    tabButtons.set(tab, button)
    tablist.append(button)
    panels.set(
      tab,
      h('div', {
        role: 'tabpanel',
        id: `${uid}-panel-${tab}`,
        'aria-labelledby': `${uid}-tab-${tab}`,
        tabindex: 0,
        'data-testid': `devtools-panel-${tab}`,
      }),
    )
  }
  const noticeBar = h('div', {
    class: 'notice',
    role: 'status',
    'aria-live': 'polite',
    'data-testid': 'devtools-notice',
  })
  const panel = h(
    'section',
    { class: 'panel', 'aria-label': 'Theus devtools' },
    h('header', {}, title, haltBadge, resumeButton, travel),
    tablist,
    ...panels.values(),
    noticeBar,
  )
  const style = document.createElement('style')
  style.textContent = STYLES
  root.append(style, panel)
  //#endregion

  //#region tabs (WAI-ARIA tabs: arrows, Home and End move between tabs, one tab stop)
  let current: TheusDevtoolsTab = options.tab ?? 'state'
  const dirty = new Set<TheusDevtoolsTab>(TABS.map(([t]) => t))
  const select = (tab: TheusDevtoolsTab, focus = false) => {
    current = tab
    for (const [t, button] of tabButtons) {
      const on = t === tab
      button.setAttribute('aria-selected', String(on))
      button.tabIndex = on ? 0 : -1
      panels.get(t)!.hidden = !on
    }
    if (focus) tabButtons.get(tab)!.focus()
    schedule()
  }
  tablist.addEventListener('click', (e) => {
    const tab = (e.target as HTMLElement).closest('[role=tab]')?.getAttribute('data-tab')
    if (tab) select(tab as TheusDevtoolsTab)
  })
  tablist.addEventListener('keydown', (e) => {
    const order = TABS.map(([t]) => t)
    const i = order.indexOf(current)
    const next =
      e.key === 'ArrowRight'
        ? order[(i + 1) % order.length]
        : e.key === 'ArrowLeft'
          ? order[(i - 1 + order.length) % order.length]
          : e.key === 'Home'
            ? order[0]
            : e.key === 'End'
              ? order[order.length - 1]
              : undefined
    if (next === undefined) return
    e.preventDefault()
    select(next, true)
  })
  //#endregion

  //#region time travel: undo/redo under the hood, so the engine's history stays true
  const jumpTo = (target: number) => {
    try {
      while (engine.history.length > target && engine.undo()) {}
      while (engine.history.length < target && engine.redo()) {}
    } catch (e) {
      // A halted engine refuses undo/redo: say so and stay.
      setNotice(`Time travel refused: ${errorInfo(e).message}`)
    }
  }
  first.addEventListener('click', () => jumpTo(0))
  back.addEventListener('click', () => jumpTo(engine.history.length - 1))
  forward.addEventListener('click', () => jumpTo(engine.history.length + 1))
  last.addEventListener('click', () => jumpTo(engine.history.length + undone.length))
  slider.addEventListener('input', () => jumpTo(Number(slider.value)))
  resumeButton.addEventListener('click', () => {
    engine.resume()
    schedule()
  })
  //#endregion

  //#region following the engine
  const offs: (() => void)[] = []
  // At an undo's 'commit' event the entry is already off `history`; at a redo's it is not back
  // on it yet: the panel keeps its own copy to know which entry moved.
  const track = (process: string, patches: number) => {
    if (process === 'undo') {
      const popped = knownHistory.at(-1)
      if (popped !== undefined) undone.push(popped)
      knownHistory = engine.history
    } else if (process === 'redo') {
      const back = undone.pop()
      // (Whether or not the engine has pushed it back before telling its listeners.)
      const now = engine.history
      knownHistory = back === undefined || now.at(-1) === back ? now : [...now, back]
    } else {
      if (patches > 0) undone.length = 0
      knownHistory = engine.history
    }
  }
  offs.push(
    engine.on('commit', (event) => {
      push(runs, { id: runId++, kind: 'commit', event })
      track(event.process, event.patches.length)
      markDirty('state', 'runs', 'history', 'workflows')
    }),
    engine.on('rollback', (event) => {
      push(runs, { id: runId++, kind: 'rollback', event })
      markDirty('runs')
    }),
    engine.on('audit', (entry) => {
      push(findings, { id: runId++, entry })
      counters.set(counterKey(entry), entry)
      markDirty('audit')
    }),
    engine.on('signal', (event) => {
      push(signals, { id: runId++, event })
      markDirty('signals')
    }),
    engine.on('halt', () => markDirty()),
  )
  // 'resume' arrives with the engine's halt signal (SPEC §10.2); an engine without it refuses
  // the name, and the header then catches up with `halted` on the next event.
  try {
    offs.push(engine.on('resume' as 'halt', () => markDirty()))
  } catch {}
  for (const [, manager] of workflows) {
    offs.push(
      manager.state.subscribe(() => markDirty('workflows')),
      manager.status.subscribe(() => markDirty('workflows')),
    )
  }
  // Live editing (theus/vite) announces what it replaced on this engine.
  const onHmr = (e: Event) => {
    const detail = (e as CustomEvent<TheusHmrNotice>).detail
    if (detail === undefined || (detail.engine !== undefined && detail.engine !== engine)) return
    if (detail.kind === 'recipe') {
      counters.clear()
      markDirty('audit')
    }
    if (detail.kind === 'process') markDirty('processes')
    setNotice(detail.message)
  }
  globalThis.addEventListener?.(HMR_EVENT, onHmr)
  offs.push(() => globalThis.removeEventListener?.(HMR_EVENT, onHmr))

  function setNotice(text: string) {
    noticeBar.textContent = text
  }

  // Renders are batched: many events in one task cost one render, of the visible tab only.
  function markDirty(...tabs: TheusDevtoolsTab[]) {
    for (const t of tabs.length ? tabs : TABS.map(([t]) => t)) dirty.add(t)
    schedule()
  }
  function schedule() {
    if (scheduled || disposed) return
    scheduled = true
    queueMicrotask(render)
  }
  //#endregion

  //#region rendering
  const openPaths = new Set<string>(['domain', 'global'])
  function render() {
    scheduled = false
    if (disposed) return
    const depth = engine.history.length
    const max = depth + undone.length
    slider.max = String(max)
    slider.value = String(depth)
    slider.setAttribute('aria-valuetext', `${depth} of ${max} commits`)
    position.textContent = `${depth} / ${max}`
    first.disabled = back.disabled = depth === 0
    forward.disabled = last.disabled = undone.length === 0
    const halted = engine.halted
    haltBadge.textContent = halted ? 'halted' : ''
    resumeButton.hidden = !halted
    for (const [tab, label] of TABS) {
      const count =
        tab === 'runs'
          ? runs.length
          : tab === 'history'
            ? max
            : tab === 'audit'
              ? findings.length
              : tab === 'signals'
                ? signals.length
                : tab === 'processes'
                  ? engine.processNames.length
                  : tab === 'workflows'
                    ? workflows.length
                    : undefined
      tabButtons.get(tab)!.textContent = count === undefined ? label : `${label} (${count})`
    }
    if (!dirty.has(current)) return
    dirty.delete(current)
    const target = panels.get(current)!
    target.replaceChildren(...RENDER[current]())
  }

  const RENDER: Record<TheusDevtoolsTab, () => Node[]> = {
    state: () => {
      const snapshot = engine.state.value as Record<string, unknown>
      return [
        h(
          'div',
          { 'data-testid': 'devtools-state' },
          ...['global', 'domain'].map((k) => treeNode(k, snapshot[k], k)),
        ),
      ]
    },
    runs: () => {
      if (runs.length === 0) return [h('p', { class: 'muted' }, 'No runs yet.')]
      return [
        h(
          'ol',
          { 'data-testid': 'devtools-runs' },
          ...runs
            .slice()
            .reverse()
            .map((r) => (r.kind === 'commit' ? commitRow(r.event) : rollbackRow(r.event))),
        ),
      ]
    },
    history: () => {
      const entries = engine.history
      const rows: Node[] = [
        historyRow('(start)', undefined, 0, entries.length === 0, false),
        ...entries.map((e, i) =>
          historyRow(e.process, e.args, i + 1, i === entries.length - 1, false),
        ),
        ...undone
          .slice()
          .reverse()
          .map((e, i) => historyRow(e.process, e.args, entries.length + i + 1, false, true)),
      ]
      return [
        h(
          'p',
          { class: 'muted' },
          'Jump to any point: undo/redo run under the hood, so the app and the engine agree.',
        ),
        h('ol', { 'data-testid': 'devtools-history' }, ...rows),
      ]
    },
    audit: () => {
      const out: Node[] = []
      const byLevel = h('p', { 'data-testid': 'devtools-audit-levels' })
      for (const level of LEVELS) {
        const n = findings.filter((f) => f.entry.level === level).length
        byLevel.append(h('span', { class: `badge level-${level}` }, `${level}: ${n}`), ' ')
      }
      out.push(byLevel)
      out.push(h('h3', {}, 'Counters'))
      if (counters.size === 0) out.push(h('p', { class: 'muted' }, 'No counter has moved.'))
      else
        out.push(
          h(
            'table',
            { 'data-testid': 'devtools-counters' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, 'rule'),
                h('th', {}, 'level'),
                h('th', {}, 'count / threshold'),
                h('th', {}, 'last action'),
              ),
            ),
            h(
              'tbody',
              {},
              ...[...counters.entries()].map(([key, e]) =>
                h(
                  'tr',
                  {},
                  h('td', {}, key),
                  h('td', { class: `level-${e.level}` }, e.level),
                  h('td', {}, `${e.count} / ${e.threshold}`),
                  h('td', {}, e.action),
                ),
              ),
            ),
          ),
        )
      out.push(h('h3', {}, 'Findings'))
      for (const level of LEVELS) {
        const list = findings.filter((f) => f.entry.level === level)
        if (list.length === 0) continue
        out.push(
          h('h3', { class: `level-${level}` }, `Level ${level} (${list.length})`),
          h(
            'ol',
            { 'data-testid': `devtools-audit-${level}` },
            ...list
              .slice()
              .reverse()
              .map(({ entry: f }) =>
                h(
                  'li',
                  { class: 'row' },
                  h('span', { class: `badge level-${f.level}` }, f.action),
                  ' ',
                  h('strong', {}, f.process),
                  ` ${f.gate} ${f.field} ${f.condition} ${short(f.limit)}: ${short(f.value)} (${f.count}/${f.threshold})`,
                  f.message ? h('div', { class: 'muted' }, f.message) : null,
                ),
              ),
          ),
        )
      }
      if (findings.length === 0) out.push(h('p', { class: 'muted' }, 'No findings.'))
      return out
    },
    signals: () => {
      if (signals.length === 0) return [h('p', { class: 'muted' }, 'No signal has fired.')]
      return [
        h(
          'ol',
          { 'data-testid': 'devtools-signals' },
          ...signals
            .slice()
            .reverse()
            .map(({ event }) =>
              h(
                'li',
                { class: 'row' },
                h('span', { class: 'key' }, event.path),
                ` = ${short(event.value)} `,
                h('span', { class: 'muted' }, `from ${event.process}`),
              ),
            ),
        ),
      ]
    },
    processes: () => {
      const names = engine.processNames
      if (names.length === 0) return [h('p', { class: 'muted' }, 'No process registered.')]
      return [
        h(
          'table',
          { 'data-testid': 'devtools-processes' },
          h(
            'tbody',
            {},
            ...names.map((name) => {
              const c = engine.getProcess(name)?.contract ?? {}
              const line = (label: string, list: readonly string[] | undefined) =>
                list?.length
                  ? h('div', {}, h('span', { class: 'muted' }, `${label}: `), list.join(', '))
                  : null
              return h(
                'tr',
                {},
                h('th', { scope: 'row' }, name),
                h(
                  'td',
                  {},
                  line('inputs', c.inputs),
                  line('outputs', c.outputs),
                  line('errors', c.errors),
                  line('side effects', c.sideEffects),
                ),
              )
            }),
          ),
        ),
      ]
    },
    workflows: () => {
      if (workflows.length === 0)
        return [
          h(
            'p',
            { class: 'muted' },
            'No workflow registered with the panel: pass { workflows: { name: manager } }.',
          ),
        ]
      return workflows.map(([name, manager]) => {
        const state = manager.state.value
        const status = manager.status.value
        const error = manager.lastError.value
        const def = manager.definition
        return h(
          'section',
          { 'data-testid': `devtools-workflow-${name}` },
          h('h3', {}, `${name}: `, h('span', { class: 'current' }, state), ` (${status})`),
          error === null
            ? null
            : h('div', { class: 'bad' }, `last error: ${errorInfo(error).message}`),
          h(
            'table',
            {},
            h(
              'tbody',
              {},
              ...Object.entries(def.states).map(([s, spec]) =>
                h(
                  'tr',
                  { class: s === state ? 'current' : undefined },
                  h('th', { scope: 'row' }, s === state ? `▸ ${s}` : s),
                  h(
                    'td',
                    {},
                    Object.entries(spec.events)
                      .map(([event, to]) => `${event} → ${to}`)
                      .join(', ') || '—',
                  ),
                ),
              ),
            ),
          ),
          h(
            'ol',
            { class: 'muted' },
            ...manager.history
              .slice(-10)
              .reverse()
              .map((t) => h('li', {}, `${t.from} —${t.event}→ ${t.to}`)),
          ),
        )
      })
    },
  }

  function treeNode(key: string, value: unknown, path: string): Node {
    if (!isContainer(value)) {
      const text =
        typeof value === 'object' && value !== null && !(value instanceof Date)
          ? summary(value)
          : short(value)
      return h('div', { 'data-path': path }, h('span', { class: 'key' }, key), `: ${text}`)
    }
    const details = h('details', { 'data-path': path }) as HTMLDetailsElement
    const kind = Array.isArray(value)
      ? 'Array'
      : value instanceof Map
        ? 'Map'
        : value instanceof Set
          ? 'Set'
          : ''
    details.append(h('summary', {}, h('span', { class: 'key' }, key), ` ${kind}{${sizeOf(value)}}`))
    const fill = () => {
      if (details.childElementCount > 1) return
      const box = h('div', { class: 'tree' })
      let n = 0
      const add = (k: string, v: unknown) => {
        if (n++ < MAX_CHILDREN) box.append(treeNode(k, v, `${path}.${k}`))
      }
      if (value instanceof Map)
        for (const [k, v] of value) add(typeof k === 'string' ? k : short(k), v)
      else if (value instanceof Set) {
        let i = 0
        for (const v of value) add(String(i++), v)
      } else for (const k of Object.keys(value)) add(k, (value as Record<string, unknown>)[k])
      if (n > MAX_CHILDREN) box.append(h('div', { class: 'muted' }, `… ${n - MAX_CHILDREN} more`))
      details.append(box)
    }
    if (openPaths.has(path)) {
      details.open = true
      fill()
    }
    details.addEventListener('toggle', () => {
      if (details.open) {
        openPaths.add(path)
        fill()
      } else openPaths.delete(path)
    })
    return details
  }

  function commitRow(e: CommitEvent): Node {
    const lines = diffLines(e.patches, e.inversePatches)
    return h(
      'li',
      { class: 'row', 'data-outcome': 'commit' },
      h('strong', {}, e.process),
      ' ',
      h('span', { class: 'ok' }, 'committed'),
      ` ${formatMs(e.durationMs)} `,
      h('span', { class: 'muted' }, preview(e.args)),
      e.result === undefined ? null : h('span', { class: 'muted' }, ` → ${short(e.result)}`),
      h(
        'ul',
        { class: 'diff', 'aria-label': 'patches' },
        ...(lines.length === 0
          ? [h('li', { class: 'muted' }, 'no changes')]
          : lines.map((l) =>
              h(
                'li',
                { class: l.op },
                l.op === 'add' ? '+ ' : l.op === 'remove' ? '- ' : '~ ',
                l.path,
                ': ',
                l.before === undefined ? null : h('span', { class: 'before' }, l.before),
                l.before !== undefined && l.after !== undefined ? ' → ' : null,
                l.after === undefined ? null : h('span', { class: 'after' }, l.after),
              ),
            )),
      ),
    )
  }

  function rollbackRow(e: RollbackEvent): Node {
    const err = errorInfo(e.error)
    return h(
      'li',
      { class: 'row', 'data-outcome': 'rollback' },
      h('strong', {}, e.process),
      ' ',
      h('span', { class: 'bad' }, 'rolled back'),
      ' ',
      h('code', {}, err.code),
      ' ',
      h('span', { class: 'muted' }, preview(e.args)),
      h('div', { class: 'muted' }, err.message),
    )
  }

  function historyRow(
    process: string,
    args: unknown,
    at: number,
    here: boolean,
    isUndone: boolean,
  ): Node {
    const button = h(
      'button',
      {
        type: 'button',
        'aria-current': here ? 'step' : undefined,
        'aria-label': `Jump to after ${process === '(start)' ? 'nothing (the start)' : `commit ${at}, ${process}`}`,
        'data-testid': `devtools-jump-${at}`,
      },
      'Jump',
    )
    button.addEventListener('click', () => jumpTo(at))
    return h(
      'li',
      { class: `row${here ? ' current' : ''}${isUndone ? ' undone' : ''}` },
      button,
      ` ${at} `,
      h('strong', {}, process),
      args === undefined ? null : h('span', { class: 'muted' }, ` ${preview(args)}`),
      isUndone ? h('span', { class: 'muted' }, ' (undone)') : null,
    )
  }
  //#endregion

  select(current)
  render()

  return () => {
    if (disposed) return
    disposed = true
    for (const off of offs) off()
    host.remove()
  }
}

let mounted = 0

// The engine keeps one counter per rule (process:gate:field:condition, numbered when two rules
// share those): level and limit tell such rules apart here.
function counterKey(e: AuditLogEntry): string {
  return `${e.process}:${e.gate}:${e.field}:${e.condition} ${short(e.limit)}`
}

function formatMs(ms: number): string {
  if (!(ms >= 0)) return ''
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`
}
