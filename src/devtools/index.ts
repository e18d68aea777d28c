/**
 * theus/devtools: the Theus panel, embeddable in the app's own page with any framework or none.
 * Nothing here is imported by `theus`: an app that does not import it ships none of it. For
 * React, `theus/devtools/react` has `<TheusDevtools>`.
 */
export type { TheusHmrNotice } from './hmr.js'
export { HMR_EVENT } from './hmr.js'
export type { TheusDevtoolsOptions, TheusDevtoolsTab } from './mountTheusDevtools.js'
export { mountTheusDevtools } from './mountTheusDevtools.js'
