/**
 * The Vue tab: a real Vue app (`createApp`) mounted into a React-managed element, on the same
 * engine as the React tabs through `createTheusPlugin(engine)`. Unmounted with the tab.
 */
import './vue/flags'
import { type ReactNode, useEffect, useRef } from 'react'
import { useEngine } from 'theus/react'
import { createTheusPlugin } from 'theus/vue'
import { createApp } from 'vue'
import { VueBank } from './vue/VueBank'

/**
 * Mounts `VueBank` while this component is mounted.
 * @example
 * <TheusProvider engine={engine}><VueTab /></TheusProvider>
 */
export function VueTab(): ReactNode {
  const engine = useEngine()
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const app = createApp(VueBank).use(createTheusPlugin(engine))
    app.mount(host.current!)
    return () => app.unmount()
  }, [engine])
  return <div ref={host} data-testid="vue-host" />
}
