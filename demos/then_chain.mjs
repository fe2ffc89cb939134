function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function blowUp() {
  return sleep(300).then(() => {
    throw new Error("nested error in async code");
  });
}

function bar() {
  return sleep(200).then(() => blowUp());
}

function foo() {
  return sleep(100).then(() => bar());
}

foo();
