const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function fetchUser(id) {
  await sleep(50)
  throw new Error(`user service unavailable (user ${id})`)
}

async function withRetry(task, attempts) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task()
    } catch (error) {
      if (attempt === attempts) throw error
      await sleep(20 * attempt)
    }
  }
}

async function main() {
  await withRetry(() => fetchUser(7), 3)
}

main()
