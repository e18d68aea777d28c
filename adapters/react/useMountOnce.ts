import { type EffectCallback, useEffect, useRef } from 'react'

/** A `once(args, call)` for one hook: `call()`, unless StrictMode's replayed mount repeats it. */
export type Once = <T>(args: unknown, call: () => Promise<T>) => Promise<T>

/**
 * The `once` of the calling hook (the same function on every render). StrictMode (development)
 * mounts a component, unmounts it and mounts it again at once, so a mount effect that calls
 * `run` or `send` calls it twice. The calls made while the component mounts (from its first
 * render: a child's effects and layout effects run before this hook's own mount effect) are
 * kept by args until the task of the mount ends; the same call made again by the replayed mount
 * gets the first call's outcome instead of running a second time.
 */
export function useMountOnce(): Once {
  const ref = useRef<[EffectCallback, Once]>(undefined)
  const [mount, once] = (ref.current ??= mountOnce())
  useEffect(mount, [mount])
  return once
}

function mountOnce(): [EffectCallback, Once] {
  /** 1: mounting, until the task of the mount ends; 2: StrictMode's replayed mount; -1: unmounted. */
  let phase = 1
  /** Args keys (JSON; `undefined` for no args, or args JSON cannot write) and the outcomes of the calls made while mounting, alternately. */
  let kept: unknown[] = []
  return [
    () => {
      phase = phase < 0 ? 2 : 1
      queueMicrotask(() => {
        phase = 0
        kept = []
      })
      return () => {
        phase = -1
      }
    },
    (args, call) => {
      let key: string | undefined
      try {
        key = JSON.stringify(args)
      } catch {}
      // The same call, by args; in the replayed mount effects (phase 2), else the next call kept,
      // in order: a mount effect that builds its args afresh (an id from crypto.randomUUID(), a
      // Date.now()) makes other args the second time. Not in phase -1: an unmount's cleanup
      // calls there, and its call is a new one.
      const i = kept.indexOf(key)
      if (kept.length && (i >= 0 ? phase !== 1 : phase > 1))
        // biome-ignore lint/complexity/useMathMinMax: 5 bytes less gzipped than Math.max (the 2 kB budget)
        return kept.splice(i < 0 ? 0 : i, 2)[1] as never
      const out = call()
      if (phase === 1) kept.push(key, out)
      return out
    },
  ]
}
