/** The error `fn` throws; the test fails when it throws nothing. */
export function caught(fn: () => unknown): any {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw')
}
