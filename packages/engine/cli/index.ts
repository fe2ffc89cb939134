/**
 * `async-stacks <command>`: the engine's commands, each working on the project in the current
 * folder (or the one `--root` names: engine/config.ts).
 */
const COMMANDS = {
  record: { about: 'record the demos (or --check the committed recordings) under their real runtimes', load: () => import('./record') },
  runtimes: { about: 'install the Node.js versions of the matrix and a CPython 3.14 into .runtimes/', load: () => import('./runtimes') },
  schema: { about: 'write the JSON Schemas of the recording format into docs/schema/', load: () => import('./json-schema') },
} satisfies Record<string, { about: string, load: () => Promise<{ main: (args: string[]) => Promise<number> }> }>

const usage = () => [
  'usage: async-stacks <command> [options]   (async-stacks <command> --help for its options)',
  ...Object.entries(COMMANDS).map(([name, { about }]) => `  ${name.padEnd(9)} ${about}`),
].join('\n')

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage())
    return name === undefined ? 2 : 0
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    console.error(`async-stacks: unknown command ${JSON.stringify(name)}\n${usage()}`)
    return 2
  }
  const command = await COMMANDS[name as keyof typeof COMMANDS].load()
  return command.main(args)
}
