use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

async fn blow_up() {
    sleep(300).await;
    panic!("nested error in async code");
}

async fn bar() {
    sleep(200).await;
    blow_up().await;
}

async fn foo() {
    sleep(100).await;
    bar().await;
}

fn main() {
    block_on(foo());
}

// A tiny executor: poll the future, park the thread until a waker unparks it.

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

// A timer: the first poll starts a thread that sleeps, then wakes the task.

struct Sleep {
    ms: u64,
    started: bool,
    done: Arc<AtomicBool>,
}

fn sleep(ms: u64) -> Sleep {
    Sleep { ms, started: false, done: Arc::new(AtomicBool::new(false)) }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context) -> Poll<()> {
        if self.done.load(SeqCst) {
            return Poll::Ready(());
        }
        if !self.started {
            self.started = true;
            let (ms, done, waker) = (self.ms, self.done.clone(), cx.waker().clone());
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(ms));
                done.store(true, SeqCst);
                waker.wake();
            });
        }
        Poll::Pending
    }
}
