// A stand-in for the bank's payment provider: it confirms a deposit after a short delay, and
// gives up at once when the run's AbortSignal aborts (as fetch does).
export function confirmDeposit(user: string, amount: number, signal?: AbortSignal) {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => resolve(`receipt:${user}:${amount}`), 20)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    })
  })
}
