function blowUp() {
  setTimeout(() => {
    throw new Error("nested error in async code");
  }, 300);
}

function bar() {
  setTimeout(() => blowUp(), 200);
}

function foo() {
  setTimeout(() => bar(), 100);
}

foo();
