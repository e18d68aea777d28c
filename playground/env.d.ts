// YAML recipes and workflows are compiled to plain objects by the theus/vite plugin.
declare module '*.yaml' {
  const data: Record<string, unknown>
  export default data
}
