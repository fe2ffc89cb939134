use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

async fn blow_up() {
    sleep(300).await;
    panic!("nested error in async code");
}

async fn bar() {
    sleep(200).await;
    spawn(blow_up()).await;
}

async fn foo() {
    sleep(100).await;
    bar().await;
}

fn main() {
    block_on(foo());
}

// A tiny executor: every future is a task; a woken task goes back on the queue.

struct Task {
    future: Mutex<Pin<Box<dyn Future<Output = ()> + Send>>>,
    done: AtomicBool,
    joiner: Mutex<Option<Waker>>,
    executor: Thread,
}

static QUEUE: Mutex<VecDeque<Arc<Task>>> = Mutex::new(VecDeque::new());

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        let executor = self.executor.clone();
        QUEUE.lock().unwrap().push_back(self);
        executor.unpark();
    }
}

fn spawn(future: impl Future<Output = ()> + Send + 'static) -> JoinHandle {
    let task = Arc::new(Task {
        future: Mutex::new(Box::pin(future)),
        done: AtomicBool::new(false),
        joiner: Mutex::new(None),
        executor: thread::current(),
    });
    task.clone().wake();
    JoinHandle(task)
}

fn block_on(future: impl Future<Output = ()> + Send + 'static) {
    let main = spawn(future);
    while !main.0.done.load(SeqCst) {
        match next_task() {
            Some(task) => run(task),
            None => thread::park(),
        }
    }
}

fn next_task() -> Option<Arc<Task>> {
    QUEUE.lock().unwrap().pop_front()
}

fn run(task: Arc<Task>) {
    let waker = Waker::from(task.clone());
    let poll = task.future.lock().unwrap().as_mut().poll(&mut Context::from_waker(&waker));
    if poll.is_ready() {
        task.done.store(true, SeqCst);
        if let Some(joiner) = task.joiner.lock().unwrap().take() {
            joiner.wake();
        }
    }
}

struct JoinHandle(Arc<Task>);

impl Future for JoinHandle {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context) -> Poll<()> {
        if self.0.done.load(SeqCst) {
            return Poll::Ready(());
        }
        *self.0.joiner.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
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
