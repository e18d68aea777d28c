/** `npm run bench`: the core benchmarks, in one process, printed as tables with ratios. */
import { runPersistBench } from './persist.bench.js'
import { profileTransfer } from './profile.js'
import { runSelectorBench } from './selector.bench.js'
import { runTransferBench } from './transfer.bench.js'

console.log(`node ${process.version}, ${new Date().toISOString()}`)
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const wants = (name: string) => only.length === 0 || only.includes(name)
if (process.argv.includes('--profile')) profileTransfer()
else {
  if (wants('transfer')) runTransferBench()
  if (wants('selector')) runSelectorBench()
  if (wants('persist')) await runPersistBench()
}
