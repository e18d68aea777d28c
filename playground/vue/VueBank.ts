// biome-ignore-all lint/correctness/useHookAtTopLevel: Vue composables belong in setup(), where they are called here (the rule is React's).
/**
 * The bank through `theus/vue`: the same engine as the React tabs, the same composables with
 * the same arguments (`useTheus`, `useProcess`, `useAuditLog`), written with `defineComponent`
 * and `h` (no SFC compiler). Each account row reads its own path and counts its own renders, as
 * the React rows do.
 */
import type { AuditLogEntry } from 'theus'
import { useAuditLog, useProcess, useTheus } from 'theus/vue'
import { computed, defineComponent, h, ref } from 'vue'
import { errorData, formatMoney, formatValue, parseAmount } from '../format'
import type { TransferArgs } from '../processes'

const sameNames = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v, i) => v === b[i])

function useAccountNames() {
  return useTheus((s) => Object.keys(s.domain.accounts), sameNames)
}

const AccountRow = defineComponent({
  name: 'VueAccountRow',
  props: { name: { type: String, required: true } },
  setup(props) {
    const balance = useTheus(`domain.accounts.${props.name}`)
    let renders = 0
    return () => {
      renders += 1
      return h('tr', [
        h('th', { scope: 'row' }, props.name),
        h(
          'td',
          { class: 'num', 'data-testid': `vue-balance-${props.name}` },
          formatMoney(balance.value),
        ),
        h(
          'td',
          { class: 'num muted', 'data-testid': `vue-renders-${props.name}` },
          String(renders),
        ),
      ])
    }
  },
})

const Accounts = defineComponent({
  name: 'VueAccounts',
  setup() {
    const names = useAccountNames()
    const reserves = useTheus('domain.total_reserves')
    const fraud = useTheus('domain.sig_fraud_detected')
    return () =>
      h('section', { class: 'card' }, [
        h('h2', ['Accounts ', h('small', "useTheus('domain.accounts.<name>')")]),
        h('table', { class: 'accounts' }, [
          h('thead', [
            h('tr', [
              h('th', { scope: 'col' }, 'account'),
              h('th', { scope: 'col', class: 'num' }, 'balance'),
              h('th', { scope: 'col', class: 'num', title: 'renders of this row' }, 'renders'),
            ]),
          ]),
          h(
            'tbody',
            names.value.map((name) => h(AccountRow, { key: name, name })),
          ),
        ]),
        h('p', { class: 'line' }, [
          'Reserves ',
          h('output', { 'data-testid': 'vue-reserves' }, formatMoney(reserves.value)),
          fraud.value === true
            ? h(
                'span',
                { class: 'badge warn', 'data-testid': 'vue-fraud-signal' },
                'sig_fraud_detected',
              )
            : null,
        ]),
      ])
  },
})

function errorView(error: unknown, testId: string) {
  if (error === null || error === undefined) return null
  const e = errorData(error)
  return h('div', { class: 'error', role: 'alert', 'data-testid': testId }, [
    h('p', [
      h('strong', { 'data-testid': `${testId}-name` }, e.name),
      e.code === undefined ? null : h('code', { 'data-testid': `${testId}-code` }, e.code),
      e.level === undefined
        ? null
        : h('span', { class: `badge level-${e.level}` }, `level ${e.level}`),
      h('span', { 'data-testid': `${testId}-message` }, e.message),
    ]),
  ])
}

function select(name: string, label: string, value: { value: string }, names: readonly string[]) {
  return h('label', [
    label,
    h(
      'select',
      {
        name,
        value: value.value,
        onChange: (e: Event) => {
          value.value = (e.target as HTMLSelectElement).value
        },
      },
      names.map((n) => h('option', { key: n, value: n }, n)),
    ),
  ])
}

const TransferForm = defineComponent({
  name: 'VueTransferForm',
  setup() {
    const names = useAccountNames()
    const { run, pending, error, result } = useProcess<TransferArgs, string>('transfer')
    const from = ref('Alice')
    const to = ref('Bob')
    const amountText = ref('100')
    const amount = computed(() => parseAmount(amountText.value))
    const onSubmit = (ev: Event) => {
      ev.preventDefault()
      const a = amount.value
      if (a.ok) void run({ from_user: from.value, to_user: to.value, amount: a.value })
    }
    return () => {
      const a = amount.value
      const failed = typeof result.value === 'string' && result.value.startsWith('Failed')
      return h('section', { class: 'card' }, [
        h('h2', ['Transfer ', h('small', "useProcess('transfer')")]),
        h('form', { class: 'row', onSubmit, 'data-testid': 'vue-transfer-form' }, [
          select('vue_from_user', 'From', from, names.value),
          select('vue_to_user', 'To', to, names.value),
          h('label', [
            'Amount',
            h('input', {
              name: 'vue_amount',
              type: 'number',
              inputmode: 'decimal',
              step: 'any',
              min: '0',
              value: amountText.value,
              'aria-invalid': !a.ok,
              onInput: (e: Event) => {
                amountText.value = (e.target as HTMLInputElement).value
              },
            }),
            a.ok
              ? null
              : h('span', { class: 'field-error', 'data-testid': 'vue_amount-why' }, a.why),
          ]),
          h(
            'button',
            { type: 'submit', 'data-testid': 'vue-transfer', disabled: pending.value || !a.ok },
            pending.value ? 'Running…' : 'Transfer',
          ),
        ]),
        error.value !== null
          ? errorView(error.value, 'vue-transfer-error')
          : result.value === null
            ? null
            : h(
                'p',
                {
                  class: failed ? 'result failure' : 'result',
                  role: failed ? 'alert' : 'status',
                  'data-testid': 'vue-transfer-result',
                  'data-outcome': failed ? 'failure' : 'success',
                },
                result.value,
              ),
      ])
    }
  },
})

const AuditTail = defineComponent({
  name: 'VueAuditTail',
  setup() {
    const findings = useAuditLog(5)
    return () =>
      h('section', { class: 'card' }, [
        h('h2', ['Audit log ', h('small', 'useAuditLog(5)')]),
        findings.value.length === 0
          ? h('p', { class: 'muted' }, 'No findings yet.')
          : h(
              'ol',
              { class: 'log', 'data-testid': 'vue-audit' },
              findings.value.map((f: AuditLogEntry) =>
                h('li', { key: `${f.at}:${f.process}:${f.field}:${f.condition}:${f.count}` }, [
                  h('span', { class: `badge level-${f.level}` }, `${f.level} ${f.action}`),
                  ` ${f.process} ${f.field} = ${formatValue(f.value)} (${f.count}/${f.threshold})`,
                ]),
              ),
            ),
      ])
  },
})

/**
 * The root of the Vue page: mount it with `createApp(VueBank).use(createTheusPlugin(engine))`.
 * @example
 * createApp(VueBank).use(createTheusPlugin(engine)).mount(el)
 */
export const VueBank = defineComponent({
  name: 'VueBank',
  setup() {
    return () =>
      h('div', { class: 'stack', 'data-testid': 'vue-app' }, [
        h('p', { class: 'hint' }, [
          'A Vue 3 app on ',
          h('code', 'theus/vue'),
          ', mounted beside the React tabs and sharing their engine: a transfer here shows in the Bank tab and the inspector, and the other way round.',
        ]),
        h(Accounts),
        h(TransferForm),
        h(AuditTail),
      ])
  },
})
