function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function blowUp() {
  await sleep(300);
  throw new Error("nested error in async code");
}

async function main() {
  const [, result] = await Promise.allSettled([sleep(100), blowUp()]);
  console.log(result.reason.stack);
  await Promise.any([blowUp()]);
}

main();
