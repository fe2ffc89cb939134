function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function blowUp() {
  const error = new Error("nested error in async code");
  await sleep(300);
  throw error;
}

async function bar() {
  await sleep(200);
  await blowUp();
}

async function foo() {
  await sleep(100);
  await bar();
}

foo();
