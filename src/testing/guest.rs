//! An executor for the core's futures that keeps the rules of the runtime
//! that runs them in `docroot.wasm`, so that a test can hold the core to
//! them natively, without a host.
//!
//! In a WASI 0.3 component every export call (each request) is a task of
//! the component model, and wit-bindgen's runtime polls a task's futures
//! only when the host tells it that one of the task's own calls (a
//! filesystem call, a stream read or write, a timer) has made progress, or
//! when the task woke itself while it was being polled (a yield). Built
//! without its `inter-task-wakeup` feature, which docroot is, it traps:
//!
//! - when a task would sleep with no call of its own to the host in flight
//!   ("Rust task cannot sleep waiting only on Rust-originating events"):
//!   the task waits on something only another task of the instance could
//!   end;
//! - when a task wakes another, sleeping, task ("cannot support
//!   cross-component-model-task wakeup").
//!
//! A trap ends the instance: every request it was serving fails. Which
//! host shows it depends on how the host hands an instance its requests
//! (Spin's trigger did; `wasmtime serve` hid it), so the rule is held
//! here, where every schedule can be tried.
//!
//! [`Guest::run`] runs some requests' futures as the tasks of one
//! instance. [`host_call`] is a call to the host: under a run, it is in
//! flight until the run completes it, in an order a seed chooses; outside
//! one it is done at once, as a WASI 0.2 host's calls are. [`HostFiles`]
//! is the in-memory site whose every call is one. A breach of either rule
//! panics with what wit-bindgen says, naming the task.

#![forbid(unsafe_code)]

use super::MemFiles;
use crate::fs::{Entry, Files, FsError, Meta};
use crate::ready::run;
use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// The task is being polled: a wake makes it poll again (a yield).
const POLLING: u8 = 0;
/// The task has been woken, or is being: nothing more to do.
const WOKEN: u8 = 1;
/// The task sleeps until one of its host calls completes.
const SLEEPING: u8 = 2;

/// A task's waker, in the three states wit-bindgen's runtime keeps.
struct TaskWaker {
    task: usize,
    state: AtomicU8,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.state.swap(WOKEN, Ordering::Relaxed) == SLEEPING {
            panic!(
                "task {} was woken by another task of its instance while it slept: \
                 wit-bindgen's runtime traps (\"Cannot support cross-component-model-task \
                 wakeup unless the `wit-bindgen` crate is compiled with the \
                 `inter-task-wakeup` feature enabled\")",
                self.task
            );
        }
    }
}

/// A host call in flight: whose task awaits it, and whether it is done.
struct Call {
    task: usize,
    done: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// What a run shares with the host calls made under it.
#[derive(Default)]
struct Runtime {
    /// The task being polled.
    current: Cell<Option<usize>>,
    /// The host calls in flight, in the order they were made.
    in_flight: RefCell<Vec<Rc<Call>>>,
    /// How many host calls were made.
    calls: Cell<usize>,
}

thread_local! {
    /// The run going on in this thread, if any.
    static RUNTIME: RefCell<Option<Rc<Runtime>>> = const { RefCell::new(None) };
}

/// A call to the host: in flight under a [`Guest::run`] until the run
/// completes it; done at once outside one.
pub fn host_call() -> HostCall {
    HostCall {
        runtime: RUNTIME.with(|r| r.borrow().clone()),
        call: None,
    }
}

/// The future of [`host_call`].
pub struct HostCall {
    runtime: Option<Rc<Runtime>>,
    call: Option<Rc<Call>>,
}

impl Future for HostCall {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(runtime) = self.runtime.clone() else {
            return Poll::Ready(());
        };
        let task = runtime
            .current
            .get()
            .expect("a host call is polled by a task of the run that made it");
        let call = self.call.get_or_insert_with(|| {
            let call = Rc::new(Call {
                task,
                done: Cell::new(false),
                waker: RefCell::new(None),
            });
            runtime.in_flight.borrow_mut().push(call.clone());
            runtime.calls.set(runtime.calls.get() + 1);
            call
        });
        if call.done.get() {
            return Poll::Ready(());
        }
        assert_eq!(
            call.task, task,
            "a host call is awaited by the task that made it, not another"
        );
        *call.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for HostCall {
    /// A call dropped in flight is cancelled: the run forgets it.
    fn drop(&mut self) {
        if let (Some(runtime), Some(call)) = (&self.runtime, &self.call)
            && !call.done.get()
        {
            runtime
                .in_flight
                .borrow_mut()
                .retain(|c| !Rc::ptr_eq(c, call));
        }
    }
}

/// How the requests of a run arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// All of them before any host call completes, as a burst reaches a
    /// fresh instance.
    AtOnce,
    /// Each at a moment the seed chooses, between host calls completing.
    Spread,
}

/// A task's future: one request's, for [`Guest::run`].
pub type Task<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// One component instance's tasks, run by the rules of wit-bindgen's
/// runtime.
pub struct Guest {
    seed: Cell<u64>,
    arrival: Arrival,
    runtime: Rc<Runtime>,
}

/// One task of a run, as the runtime keeps it.
struct Running<'a, T> {
    future: Option<Task<'a, T>>,
    waker: Arc<TaskWaker>,
    output: Option<T>,
}

impl Guest {
    /// A run whose requests arrive as `arrival` says, with host calls
    /// completing in an order chosen by `seed`.
    pub fn new(seed: u64, arrival: Arrival) -> Guest {
        Guest {
            // xorshift needs a state other than zero.
            seed: Cell::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            arrival,
            runtime: Rc::new(Runtime::default()),
        }
    }

    /// How many host calls the runs of this guest have made.
    pub fn calls(&self) -> usize {
        self.runtime.calls.get()
    }

    /// A number below `n` (at least 1), from the seed.
    fn pick(&self, n: usize) -> usize {
        let mut x = self.seed.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed.set(x);
        (x % n as u64) as usize
    }

    /// Runs `futures` to their ends as the tasks of one instance, the
    /// first task first, and gives their outputs in the same order.
    ///
    /// # Panics
    ///
    /// When a task breaks a rule of wit-bindgen's runtime (see the module
    /// documentation): it would trap in a component.
    pub fn run<'a, T>(&self, futures: Vec<Task<'a, T>>) -> Vec<T> {
        self.run_cancelling(futures, 0)
            .into_iter()
            .map(|output| output.expect("no task is cancelled"))
            .collect()
    }

    /// [`Guest::run`], with the host cancelling `cancels` of the tasks
    /// that have arrived and not ended, each at a moment the seed picks (a
    /// client that left): the runtime then drops the task's future where
    /// it waits. A cancelled task's output is `None`.
    pub fn run_cancelling<'a, T>(
        &self,
        futures: Vec<Task<'a, T>>,
        cancels: usize,
    ) -> Vec<Option<T>> {
        let previous = RUNTIME.with(|r| r.replace(Some(self.runtime.clone())));
        let _restore = Restore(previous);
        let mut tasks: Vec<Running<'a, T>> = futures
            .into_iter()
            .enumerate()
            .map(|(task, future)| Running {
                future: Some(future),
                waker: Arc::new(TaskWaker {
                    task,
                    state: AtomicU8::new(SLEEPING),
                }),
                output: None,
            })
            .collect();
        let mut arrived = 0;
        let mut cancels = cancels;
        // Tasks that woke themselves while polled: polled again in turn.
        let mut yielded: Vec<usize> = Vec::new();
        loop {
            let in_flight = self.runtime.in_flight.borrow().len();
            let can_arrive = arrived < tasks.len();
            let choices = usize::from(can_arrive) + usize::from(!yielded.is_empty()) + in_flight;
            if choices == 0 {
                break;
            }
            // A cancel, now and then, of a task that waits.
            let waiting: Vec<usize> = (0..arrived)
                .filter(|&n| tasks[n].future.is_some())
                .collect();
            if cancels > 0 && !waiting.is_empty() && self.pick(4) == 0 {
                cancels -= 1;
                let task = waiting[self.pick(waiting.len())];
                yielded.retain(|&n| n != task);
                // Dropped as the runtime drops it: its host calls with it.
                tasks[task].future = None;
                continue;
            }
            let arrive = can_arrive && (self.arrival == Arrival::AtOnce || self.pick(choices) == 0);
            let task = if arrive {
                arrived += 1;
                arrived - 1
            } else if !yielded.is_empty() && (in_flight == 0 || self.pick(2) == 0) {
                yielded.remove(0)
            } else if in_flight > 0 {
                // The host completes one call; the runtime marks its task
                // woken, then delivers the event, then polls the task.
                let call = self
                    .runtime
                    .in_flight
                    .borrow_mut()
                    .remove(self.pick(in_flight));
                call.done.set(true);
                let task = call.task;
                tasks[task].waker.state.store(WOKEN, Ordering::Relaxed);
                if let Some(waker) = call.waker.take() {
                    waker.wake();
                }
                task
            } else {
                unreachable!("with nothing in flight or yielded, the next task arrives");
            };
            if self.poll(&mut tasks[task]) == Poll::Pending {
                if tasks[task].waker.state.load(Ordering::Relaxed) == WOKEN {
                    yielded.push(task);
                } else {
                    self.sleep(task);
                    tasks[task].waker.state.store(SLEEPING, Ordering::Relaxed);
                }
            }
        }
        for (n, task) in tasks.iter().enumerate() {
            assert!(
                task.future.is_none(),
                "task {n} never ended, and nothing is left to wake it"
            );
        }
        tasks.into_iter().map(|t| t.output).collect()
    }

    /// Polls `task` once, unless it has ended.
    fn poll<T>(&self, task: &mut Running<'_, T>) -> Poll<()> {
        let Some(future) = task.future.as_mut() else {
            return Poll::Ready(());
        };
        task.waker.state.store(POLLING, Ordering::Relaxed);
        self.runtime.current.set(Some(task.waker.task));
        let waker = Waker::from(task.waker.clone());
        let poll = future.as_mut().poll(&mut Context::from_waker(&waker));
        self.runtime.current.set(None);
        match poll {
            Poll::Ready(output) => {
                task.output = Some(output);
                task.future = None;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Checks that `task`, going to sleep, has a host call in flight.
    fn sleep(&self, task: usize) {
        let waits_on_host = self
            .runtime
            .in_flight
            .borrow()
            .iter()
            .any(|call| call.task == task);
        assert!(
            waits_on_host,
            "task {task} went to sleep with no host call in flight, waiting on another \
             task of its instance: wit-bindgen's runtime traps (\"Rust task cannot sleep \
             waiting only on Rust-originating events unless the `wit-bindgen` crate is \
             compiled with the `inter-task-wakeup` feature enabled\")"
        );
    }
}

/// Puts back the run that was going on before (none, but for a run inside
/// a task of another, which no test makes).
struct Restore(Option<Rc<Runtime>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        RUNTIME.with(|r| *r.borrow_mut() = previous);
    }
}

/// An in-memory site whose every call is a [`host_call`] first, as every
/// filesystem call of `docroot.wasm` is. Its clones share one site, which
/// [`HostFiles::change`] changes.
#[derive(Debug, Clone, Default)]
pub struct HostFiles {
    files: Rc<RefCell<MemFiles>>,
    /// The path of each call that names one (all but `read_whole`).
    asked: Rc<RefCell<Vec<Vec<String>>>>,
    calls: Rc<Cell<usize>>,
}

impl HostFiles {
    /// A site of `files`.
    pub fn new(files: MemFiles) -> HostFiles {
        HostFiles {
            files: Rc::new(RefCell::new(files)),
            asked: Rc::default(),
            calls: Rc::default(),
        }
    }

    /// Changes the site, as a deploy or an edit does.
    pub fn change(&self, f: impl FnOnce(MemFiles) -> MemFiles) {
        let files = self.files.take();
        self.files.replace(f(files));
    }

    /// How many calls the site was asked.
    pub fn calls(&self) -> usize {
        self.calls.get()
    }

    /// How many calls named `path` (`/`-separated, from the root).
    pub fn calls_to(&self, path: &str) -> usize {
        let names: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.asked.borrow().iter().filter(|p| **p == names).count()
    }

    /// `f`'s answer from the site as it is once a host call is done;
    /// `path` is what the call names.
    async fn ask<T>(&self, path: Option<&[String]>, f: impl FnOnce(&MemFiles) -> T) -> T {
        self.calls.set(self.calls.get() + 1);
        if let Some(path) = path {
            self.asked.borrow_mut().push(path.to_vec());
        }
        host_call().await;
        f(&self.files.borrow())
    }
}

impl Files for HostFiles {
    type File = Vec<u8>;

    async fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
        self.ask(Some(path), |site| run(site.stat(path))).await
    }

    async fn open(&self, path: &[String]) -> Result<Vec<u8>, FsError> {
        self.ask(Some(path), |site| run(site.open(path))).await
    }

    async fn read_dir(&self, path: &[String]) -> Result<Vec<Entry>, FsError> {
        self.ask(Some(path), |site| run(site.read_dir(path))).await
    }

    async fn read_whole(&self, file: &Vec<u8>, len: u64) -> Result<Vec<u8>, FsError> {
        self.ask(None, |site| run(site.read_whole(file, len))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed<'a, T>(f: impl Future<Output = T> + 'a) -> Task<'a, T> {
        Box::pin(f)
    }

    #[test]
    fn tasks_that_wait_on_the_host_run_to_their_ends_in_any_order() {
        for seed in 0..50 {
            for arrival in [Arrival::AtOnce, Arrival::Spread] {
                let guest = Guest::new(seed, arrival);
                let order = RefCell::new(Vec::new());
                let tasks = (0..4)
                    .map(|n| {
                        let order = &order;
                        boxed(async move {
                            for _ in 0..3 {
                                host_call().await;
                            }
                            order.borrow_mut().push(n);
                            n * 10
                        })
                    })
                    .collect();
                assert_eq!(guest.run(tasks), [0, 10, 20, 30]);
                assert_eq!(guest.calls(), 12);
                assert_eq!(order.borrow().len(), 4);
            }
        }
    }

    #[test]
    fn a_task_may_yield_to_the_others() {
        let guest = Guest::new(1, Arrival::AtOnce);
        let yielded = |n| {
            boxed(async move {
                let mut once = false;
                std::future::poll_fn(|cx| {
                    if std::mem::replace(&mut once, true) {
                        Poll::Ready(n)
                    } else {
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                })
                .await
            })
        };
        assert_eq!(guest.run(vec![yielded(1), yielded(2)]), [1, 2]);
    }

    #[test]
    #[should_panic(expected = "task 1 went to sleep with no host call in flight")]
    fn a_task_that_waits_for_another_is_a_trap() {
        // Task 0 holds a flag while it waits on the host; task 1 waits for
        // the flag, with nothing of its own in flight.
        let busy = Cell::new(false);
        let waiting: RefCell<Vec<Waker>> = RefCell::new(Vec::new());
        let guest = Guest::new(0, Arrival::AtOnce);
        let (busy, waiting) = (&busy, &waiting);
        let first = boxed(async move {
            busy.set(true);
            host_call().await;
            busy.set(false);
            for waker in waiting.take() {
                waker.wake();
            }
        });
        let second = boxed(std::future::poll_fn(move |cx| {
            if busy.get() {
                waiting.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        }));
        guest.run(vec![first, second]);
    }

    #[test]
    #[should_panic(expected = "task 0 was woken by another task")]
    fn waking_another_task_is_a_trap_even_when_it_waits_on_the_host_too() {
        let parked: RefCell<Option<Waker>> = RefCell::new(None);
        let guest = Guest::new(0, Arrival::AtOnce);
        let parked = &parked;
        let first = boxed(async move {
            // Waits on the host, and leaves its waker for the other task.
            let mut call = std::pin::pin!(host_call());
            std::future::poll_fn(|cx| {
                *parked.borrow_mut() = Some(cx.waker().clone());
                call.as_mut().poll(cx)
            })
            .await
        });
        let second = boxed(async move {
            if let Some(waker) = parked.take() {
                waker.wake();
            }
        });
        guest.run(vec![first, second]);
    }

    #[test]
    fn a_cancelled_task_is_dropped_where_it_waits_with_its_calls() {
        for seed in 0..50 {
            let guest = Guest::new(seed, Arrival::Spread);
            let ended = Cell::new(0);
            let tasks = (0..6)
                .map(|n| {
                    let ended = &ended;
                    boxed(async move {
                        for _ in 0..4 {
                            host_call().await;
                        }
                        ended.set(ended.get() + 1);
                        n
                    })
                })
                .collect();
            let got = guest.run_cancelling(tasks, 3);
            let done: Vec<usize> = got.iter().flatten().copied().collect();
            assert_eq!(done.len(), ended.get(), "seed {seed}");
            assert!(done.len() >= 3, "at most three cancelled: {got:?}");
            assert!(guest.runtime.in_flight.borrow().is_empty());
        }
    }

    #[test]
    fn outside_a_run_a_host_call_is_done_at_once() {
        let site = HostFiles::new(MemFiles::new().file("a", b"x"));
        assert_eq!(
            crate::ready::run(site.stat(&["a".to_owned()])).unwrap().len,
            1
        );
    }
}
