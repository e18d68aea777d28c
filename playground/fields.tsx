/** Form fields shared by the demos: amounts and accounts that cannot be typed wrong. */
import type { ReactNode } from 'react'
import { useTheus } from 'theus/react'
import { parseAmount } from './format'

const sameNames = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v, i) => v === b[i])

/** The account names, re-rendering only when an account is added or removed. */
export function useAccountNames(): readonly string[] {
  return useTheus((s) => Object.keys(s.domain.accounts), sameNames)
}

/**
 * An account chosen from the existing ones: a typo cannot name (and so open) a new account.
 * @example
 * <AccountSelect name="from_user" label="From" value={from} onChange={setFrom} />
 */
export function AccountSelect({
  name,
  label,
  value,
  onChange,
}: {
  name: string
  label: string
  value: string
  onChange: (name: string) => void
}): ReactNode {
  const names = useAccountNames()
  return (
    <label>
      {label}
      <select name={name} value={value} onChange={(e) => onChange(e.target.value)}>
        {names.map((n) => (
          <option key={n}>{n}</option>
        ))}
      </select>
    </label>
  )
}

/**
 * An amount field that keeps what was typed and says why it is not an amount; the form's
 * button stays disabled until it is one (see `parseAmount`).
 * @example
 * <AmountField name="amount" label="Amount" text={text} onText={setText} />
 */
export function AmountField({
  name,
  label,
  text,
  onText,
}: {
  name: string
  label: string
  text: string
  onText: (text: string) => void
}): ReactNode {
  const parsed = parseAmount(text)
  const hintId = `${name}-why`
  return (
    <label>
      {label}
      <input
        name={name}
        type="number"
        inputMode="decimal"
        step="any"
        min="0"
        value={text}
        aria-invalid={!parsed.ok}
        aria-describedby={parsed.ok ? undefined : hintId}
        onChange={(e) => onText(e.target.value)}
      />
      {!parsed.ok && (
        <span className="field-error" id={hintId} data-testid={`${name}-why`}>
          {parsed.why}
        </span>
      )}
    </label>
  )
}
