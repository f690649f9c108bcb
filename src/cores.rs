//! Work shared over the machine's cores: reading a plan's files, linting its phases, writing
//! the findings. Each helper keeps the items' order, so what runs side by side reads exactly
//! as if it had run one item after the other.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

/// How many threads to use for `items` items: one per core, but none for fewer than `min`
/// items each, where starting a thread costs more than it saves.
pub fn workers(items: usize, min: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.div_ceil(min).max(1))
}

/// `f` of each item, in order, spread over the cores in contiguous chunks.
pub fn spread<'a, T: Sync, R: Send>(items: &'a [T], f: impl Fn(&'a T) -> R + Sync) -> Vec<R> {
    let parts = chunked(items, 64, |part| part.iter().map(&f).collect::<Vec<R>>());
    if parts.len() == 1 {
        return parts.into_iter().flatten().collect();
    }
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part);
    }
    out
}

/// `f` of contiguous parts of `items`, a part per core (none shorter than `min` items), in
/// order; the calling thread takes the last part.
pub fn chunked<'a, T: Sync, R: Send>(
    items: &'a [T],
    min: usize,
    f: impl Fn(&'a [T]) -> R + Sync,
) -> Vec<R> {
    let workers = workers(items.len(), min);
    if workers <= 1 {
        return vec![f(items)];
    }
    let chunk = items.len().div_ceil(workers);
    let f = &f;
    std::thread::scope(|scope| {
        let mut parts = items.chunks(chunk);
        let last = parts.next_back().unwrap_or_default();
        let handles: Vec<_> = parts.map(|c| scope.spawn(move || f(c))).collect();
        let last = f(last);
        let mut out: Vec<R> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect();
        out.push(last);
        out
    })
}

/// Items per share of [`in_order`]'s work: small, so the thread that must go in order never
/// waits long for the share it needs next.
const SHARE: usize = 16;

/// How many shares [`in_order`] makes ahead of the one being consumed. Few, so the memory of
/// a consumed share is what the next one takes: every page more the process touches costs a
/// page fault, and those cost more than the work here.
const AHEAD: usize = 16;

/// `consume(item, &produce(item))` for every item, `consume` on the calling thread in the
/// items' order, `produce` on every core. The calling thread consumes what is ready and
/// produces while it waits, so an in-order pass (the lint rules, which carry what earlier
/// phases declared) overlaps with the work before it instead of leaving the other cores idle.
/// What a helper produced goes back to it to be freed: freed by the calling thread, it would
/// contend for the helper's malloc arena with the helper's own allocations.
pub fn in_order<'a, T: Sync, R: Send>(
    items: &'a [T],
    produce: impl Fn(&'a T) -> R + Sync,
    mut consume: impl FnMut(&'a T, &R),
) {
    let shares: Vec<&'a [T]> = items.chunks(SHARE).collect();
    let helpers = workers(items.len(), 4 * SHARE) - 1;
    if helpers == 0 {
        for item in items {
            consume(item, &produce(item));
        }
        return;
    }
    let claimed = AtomicUsize::new(0);
    let consumed = Consumed::default();
    let produce_share = |i: usize| shares[i].iter().map(&produce).collect::<Vec<R>>();
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, usize, Vec<R>)>();
        let mut back = Vec::with_capacity(helpers);
        for h in 0..helpers {
            let tx = tx.clone();
            let (back_tx, done) = mpsc::channel::<Vec<R>>();
            back.push(back_tx);
            let (claimed, consumed, produce_share, shares) =
                (&claimed, &consumed, &produce_share, &shares);
            scope.spawn(move || {
                loop {
                    done.try_iter().for_each(drop);
                    let i = claimed.fetch_add(1, Ordering::Relaxed);
                    if i >= shares.len() || !consumed.wait_until((i + 1).saturating_sub(AHEAD)) {
                        break;
                    }
                    done.try_iter().for_each(drop);
                    if tx.send((h, i, produce_share(i))).is_err() {
                        break;
                    }
                }
                // Until the calling thread is done.
                done.iter().for_each(drop);
            });
        }
        drop(tx);
        let _release = Release(&consumed);
        // Each share's results and the helper that made them (`None`: this thread).
        let mut ready: Vec<Option<(Option<usize>, Vec<R>)>> = shares.iter().map(|_| None).collect();
        for (i, share) in shares.iter().enumerate() {
            let (maker, results) = loop {
                if let Some(r) = ready[i].take() {
                    break r;
                }
                if let Ok((h, j, r)) = rx.try_recv() {
                    ready[j] = Some((Some(h), r));
                    continue;
                }
                // The share needed next, when no helper has claimed it yet; or one ahead.
                let j = claimed.load(Ordering::Relaxed);
                if j < shares.len()
                    && j < i + AHEAD
                    && claimed
                        .compare_exchange(j, j + 1, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    ready[j] = Some((None, produce_share(j)));
                    continue;
                }
                if j >= i + AHEAD || j >= shares.len() {
                    // Every share up to the needed one is claimed and still being made.
                    match rx.recv() {
                        Ok((h, j, r)) => ready[j] = Some((Some(h), r)),
                        // A helper panicked before sending it: the scope re-raises its panic.
                        Err(_) => return,
                    }
                }
            };
            for (item, r) in share.iter().zip(&results) {
                consume(item, r);
            }
            consumed.set(i + 1);
            if let Some(h) = maker {
                // A helper that has stopped (by a panic) leaves them here.
                let _ = back[h].send(results);
            }
        }
    });
}

/// How many shares the calling thread of [`in_order`] has consumed, and how many helpers
/// wait for it to consume more: it wakes them only then, as every wake is a system call.
#[derive(Default)]
struct Consumed {
    count: Mutex<(usize, usize)>,
    changed: Condvar,
}

impl Consumed {
    fn set(&self, n: usize) {
        let waiting = match self.count.lock() {
            Ok(mut c) => {
                c.0 = n;
                c.1 > 0
            }
            Err(_) => true,
        };
        if waiting {
            self.changed.notify_all();
        }
    }

    /// Waits until at least `n` shares are consumed; false if the calling thread is gone.
    fn wait_until(&self, n: usize) -> bool {
        let Ok(mut c) = self.count.lock() else {
            return false;
        };
        while c.0 < n {
            c.1 += 1;
            c = match self.changed.wait(c) {
                Ok(c) => c,
                Err(_) => return false,
            };
            c.1 -= 1;
        }
        true
    }
}

/// Lets [`in_order`]'s helpers go on however the calling thread leaves, even by a panic: the
/// scope waits for them before it re-raises the panic.
struct Release<'a>(&'a Consumed);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.0.set(usize::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_consumes_every_item_once_in_order() {
        for n in [0, 1, 15, 16, 17, 63, 64, 65, 1000] {
            let items: Vec<usize> = (0..n).collect();
            let mut seen = Vec::new();
            in_order(&items, |i| i * 2, |i, r| seen.push((*i, *r)));
            let want: Vec<(usize, usize)> = items.iter().map(|i| (*i, i * 2)).collect();
            assert_eq!(seen, want, "{n} items");
        }
    }

    #[test]
    fn in_order_re_raises_a_panic_of_the_consuming_thread_without_hanging() {
        let items: Vec<usize> = (0..1000).collect();
        let caught = std::panic::catch_unwind(|| {
            in_order(&items, |i| *i, |i, _| assert!(*i < 100, "stop at 100"));
        });
        assert!(caught.is_err());
    }

    #[test]
    fn in_order_re_raises_a_panic_of_a_producing_thread() {
        let items: Vec<usize> = (0..1000).collect();
        let caught = std::panic::catch_unwind(|| {
            in_order(&items, |i| assert!(*i != 500, "item 500"), |_, _| {});
        });
        assert!(caught.is_err());
    }

    #[test]
    fn spread_keeps_the_order() {
        let items: Vec<usize> = (0..1000).collect();
        assert_eq!(spread(&items, |i| i + 1), (1..1001).collect::<Vec<_>>());
    }
}
