/**
 * Vue's compile-time feature flags. A Vue build tool (@vitejs/plugin-vue) defines them; this
 * page mounts Vue without one (no SFC compiler: `defineComponent` + `h`), so it sets them the
 * way Vue reads them when no bundler replaced them: as globals, before the first `createApp`.
 * Without them Vue warns on the console in development.
 */
Object.assign(globalThis, {
  __VUE_OPTIONS_API__: true,
  __VUE_PROD_DEVTOOLS__: false,
  __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
})
