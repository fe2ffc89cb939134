Error.stackTraceLimit = 2;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function blowUp() {
  await sleep(300);
  throw new Error("nested error in async code");
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
