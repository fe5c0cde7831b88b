//! The progress bar: how far through its input files a run is, on stderr, with its rate and
//! the time left (indicatif).
//!
//! Shown only when it can be right and cannot get in the way: stderr is a terminal, every
//! input is a regular file (their sizes are the bar's length; standard input and pipes have
//! none), the files are read once (not `-f`), and `--no-progress` was not given. The bar
//! counts bytes as stored, so a compressed file moves it by its compressed size. It is
//! cleared when the run ends, before anything else is said.
//!
//! A thread of its own moves the bar to the run's count of bytes read ([`RunCounters`]) ten
//! times a second; the run itself never waits for it. While the bar is shown, whatever the
//! host says on stderr (a warning, a plugin's report or output, an unreadable file) is written
//! with the bar cleared, and the bar drawn again under it ([`sluice_host::say::set_around`]).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sluice_host::Input;
use sluice_host::stats::Stats;

/// How often the bar is moved and redrawn.
const REFRESH: Duration = Duration::from_millis(100);

/// A bar being shown, and the thread that moves it.
pub struct Progress {
    bar: ProgressBar,
    done: Arc<AtomicBool>,
    mover: Option<JoinHandle<()>>,
}

/// Whether a run over `inputs` gets a bar (see the module docs), and its length: the files'
/// total size.
pub fn length(inputs: &[Input], follow: bool, no_progress: bool) -> Option<u64> {
    if no_progress || follow || !std::io::stderr().is_terminal() {
        return None;
    }
    let mut total = 0;
    for input in inputs {
        let Input::File(path) = input else {
            return None;
        };
        let metadata = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
        total += metadata.len();
    }
    Some(total)
}

impl Progress {
    /// Shows a bar of `length` bytes, moved by what `stats` counts as read.
    pub fn start(length: u64, stats: &Stats, coloured: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
        bar.set_style(style(coloured));
        bar.tick();
        let shown = bar.clone();
        sluice_host::say::set_around(Some(Arc::new(move |write: &mut dyn FnMut()| {
            shown.suspend(&mut *write);
        })));
        let done = Arc::new(AtomicBool::new(false));
        let mover = {
            let (bar, done, stats) = (bar.clone(), Arc::clone(&done), stats.clone());
            std::thread::Builder::new()
                .name("sluice-progress".into())
                .spawn(move || {
                    while !done.load(Ordering::Relaxed) {
                        bar.set_position(stats.run().bytes_read());
                        std::thread::sleep(REFRESH);
                    }
                })
                .ok()
        };
        Progress { bar, done, mover }
    }

    /// The bar, to hide it while something else is written to stderr
    /// ([`ProgressBar::suspend`]).
    pub fn bar(&self) -> &ProgressBar {
        &self.bar
    }

    /// Stops moving the bar and clears it from the terminal.
    pub fn finish(mut self) {
        sluice_host::say::set_around(None);
        self.done.store(true, Ordering::Relaxed);
        if let Some(mover) = self.mover.take() {
            let _ = mover.join();
        }
        self.bar.finish_and_clear();
    }
}

/// `[00:00:03] ━━━━━━━━━━━━━━━━━━━━━━━━━━━╸━━━━━━━━━━━━  512.0 MiB/1.0 GiB  170.7 MiB/s  ETA 3s`
fn style(coloured: bool) -> ProgressStyle {
    // As wide as the terminal leaves room for: a fixed width would wrap a narrow one.
    let bar = if coloured {
        "{wide_bar:.cyan/blue}"
    } else {
        "{wide_bar}"
    };
    let template = format!(
        "[{{elapsed_precise}}] {bar} {{binary_bytes}}/{{binary_total_bytes}}  \
         {{binary_bytes_per_sec}}  ETA {{eta}}"
    );
    ProgressStyle::with_template(&template)
        .expect("the template is valid")
        .progress_chars("━╸ ")
}
