/**
 * A Vite virtual module made from files on disk: `import x from 'virtual:<name>'` gets
 * `export default <data>`, and an edit under the watched folder rebuilds it and reloads
 * the slides that use it (Vite already watches the project root).
 */
import type { Plugin } from 'vite'

export function virtualJsonModule(name: string, watched: string, data: () => unknown | Promise<unknown>): Plugin {
  const id = `virtual:${name}`
  const resolved = `\0${id}`
  // Hook filters: the bundler calls these hooks for their one id only, not for every module.
  return {
    name: `deck:${name}`,
    resolveId: {
      filter: { id: new RegExp(`^${id}$`) },
      handler: source => (source === id ? resolved : undefined),
    },
    load: {
      filter: { id: new RegExp(`^\\0${id}$`) },
      async handler(source) {
        if (source === resolved)
          return `export default ${JSON.stringify(await data())}`
      },
    },
    handleHotUpdate({ file, server }) {
      if (!file.startsWith(watched))
        return
      const module = server.moduleGraph.getModuleById(resolved)
      if (!module)
        return
      server.moduleGraph.invalidateModule(module)
      return [module]
    },
  }
}
