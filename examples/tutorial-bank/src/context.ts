import { createProcess } from 'theus'

// The whole state of the bank: `global` is configuration, `domain` the app's state.
// Name prefixes set a field's zone: sig_ signal, meta_ meta, heavy_ by reference.
export const initial = {
  global: { max_transfer: 10_000, monthly_rate: 0.01 },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    total_reserves: 1_000_000,
    month: 0,
    sig_fraud_detected: false,
    meta_last_tx: '',
    heavy_chart: new Float64Array(12),
  },
}

export type Bank = typeof initial

// `process` bound to the context type: contract paths are checked and completed by the
// compiler, and each body's `ctx` is typed from its contract.
export const process = createProcess<Bank>()
