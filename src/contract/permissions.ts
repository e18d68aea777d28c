/**
 * The permission trie of a contract, built once at registration so that a check during a run
 * is one map lookup per path segment. A view holds its trie node plus two inherited flags:
 * `readAll` (an ancestor is declared: everything below is readable) and `writeAll` (an
 * ancestor is an output: everything below is writable).
 */

export interface PermNode {
  /** This exact path is declared in inputs. */
  input: boolean
  /** This exact path is declared in outputs. */
  output: boolean
  children: Map<string, PermNode> | undefined
}

const newNode = (): PermNode => ({ input: false, output: false, children: undefined })

/** Builds the trie of declared inputs and outputs (segments already parsed). */
export function buildPermTrie(inputs: readonly string[][], outputs: readonly string[][]): PermNode {
  const root = newNode()
  const add = (segs: readonly string[], kind: 'input' | 'output') => {
    let n = root
    for (const s of segs) {
      n.children ??= new Map()
      let c = n.children.get(s)
      if (!c) n.children.set(s, (c = newNode()))
      n = c
    }
    n[kind] = true
  }
  for (const s of inputs) add(s, 'input')
  for (const s of outputs) add(s, 'output')
  return root
}

/** A trie that grants everything: the admin view of `edit()` and non-strict runs. */
export const GRANT_ALL: PermNode = { input: false, output: true, children: undefined }
