/** `npm run bench`: every benchmark, in one process, printed as tables with ratios. */
import { profileTransfer } from './profile.js'
import { runTransferBench } from './transfer.bench.js'

console.log(`node ${process.version}, ${new Date().toISOString()}`)
if (process.argv.includes('--profile')) profileTransfer()
else runTransferBench()
