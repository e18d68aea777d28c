/** The vanilla panel in a Vue app: mounted in onMounted, unmounted with the component. */
import { render } from '@testing-library/vue'
import { mountTheusDevtools } from 'theus/devtools'
import { describe, expect, it } from 'vitest'
import { defineComponent, h, onMounted, onUnmounted, ref } from 'vue'
import { makeBank, tx } from './bank'

describe('mountTheusDevtools in Vue', () => {
  it('mounts from a template ref, follows commits, and goes away with the component', async () => {
    const { engine } = makeBank()
    const Devtools = defineComponent(() => {
      const el = ref<HTMLElement>()
      let unmount = () => {}
      onMounted(() => {
        unmount = mountTheusDevtools(engine, el.value!, { tab: 'runs' })
      })
      onUnmounted(() => unmount())
      return () => h('div', { ref: el })
    })
    const { container, unmount } = render(Devtools)
    engine.runProcess('transfer', tx(300))
    await Promise.resolve()
    const shadow = container.querySelector('[data-theus-devtools]')!.shadowRoot!
    expect(shadow.querySelector('[data-testid="devtools-runs"]')?.textContent).toContain(
      '~ domain.accounts.Bob: 0 → 300',
    )
    unmount()
    expect(container.querySelector('[data-theus-devtools]')).toBeNull()
  })
})
