/// <reference types="vite/client" />

// YAML recipes and workflows, compiled into plain objects by the theus() Vite plugin.
declare module '*.yaml' {
  const data: Record<string, unknown>
  export default data
}
