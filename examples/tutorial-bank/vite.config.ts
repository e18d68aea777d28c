import theus from 'theus/vite'
import { defineConfig } from 'vite'

// theus() compiles the YAML recipe and workflows at build time (no YAML parser in the bundle)
// and keeps function names, which name the processes.
export default defineConfig({
  plugins: [theus()],
})
