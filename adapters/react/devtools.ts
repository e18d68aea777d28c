/**
 * theus/devtools/react: `<TheusDevtools>`, the devtools panel as a React component. A separate
 * entry, so `theus/react` stays small and `theus/devtools` never imports React.
 */
export type { TheusDevtoolsOptions, TheusDevtoolsTab } from 'theus/devtools'
export type { TheusDevtoolsProps } from './TheusDevtools.js'
export { TheusDevtools } from './TheusDevtools.js'
