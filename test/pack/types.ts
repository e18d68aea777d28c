// Type-checked inside the temporary project against the installed tarball's `.d.ts` files
// (NodeNext resolution, skipLibCheck off): the published types resolve and describe the API.
import { type ProcessDefinition, process, TheusEngine, TheusError } from 'theus'
import { parseAuditRecipe } from 'theus/yaml'

const transfer = process(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts'], errors: ['ValueError'] },
  function transfer(ctx, args: { from_user: string; to_user: string; amount: number }) {
    ctx.domain.accounts[args.from_user] -= args.amount
    ctx.domain.accounts[args.to_user] = (ctx.domain.accounts[args.to_user] ?? 0) + args.amount
    return 'Success'
  },
)
const def: ProcessDefinition = transfer

const engine = new TheusEngine({
  global: { max_transfer: 10_000 },
  domain: { accounts: { Alice: 1000, Bob: 0 } as Record<string, number> },
})
engine.registerProcess(def)
const result: unknown = engine.runProcess('transfer', {
  from_user: 'Alice',
  to_user: 'Bob',
  amount: 5,
})
const alice: number | undefined = engine.state.value.domain.accounts.Alice
const recipe = parseAuditRecipe('process_recipes: {}', { filename: 'audit_recipe.yaml' })
const code: string = new TheusError('DISPOSED', 'example').code

export const used = [result, alice, recipe, code]
