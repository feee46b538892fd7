//! Progress on stderr for long work: a bar per stage (resolving targets,
//! then downloading bytes, or files when the index gives no sizes). Drawn
//! only on a terminal, without `--no-progress`, outside CI.

use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct StageProgress {
    bar: Option<ProgressBar>,
    /// Downloads are measured in bytes (all sizes known) or in files.
    by_bytes: AtomicBool,
}

impl StageProgress {
    pub fn new(enabled: bool) -> Self {
        Self {
            bar: enabled.then(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())),
            by_bytes: AtomicBool::new(false),
        }
    }

    fn stage(&self, template: &str, length: u64) {
        if let Some(bar) = &self.bar {
            bar.reset();
            bar.set_message("");
            bar.set_style(
                ProgressStyle::with_template(template)
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_length(length);
            bar.set_position(0);
        }
    }
}

impl Drop for StageProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl chiron::wheelhouse::Progress for StageProgress {
    fn resolutions_planned(&self, targets: usize) {
        self.stage(
            "{spinner} resolving   [{bar:30}] {pos}/{len} targets {msg}",
            targets as u64,
        );
    }

    fn resolution_done(&self, target: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(target.to_string());
            bar.inc(1);
        }
    }

    fn downloads_planned(&self, files: usize, bytes: u64) {
        self.by_bytes.store(bytes > 0, Ordering::Relaxed);
        if bytes > 0 {
            self.stage(
                "{spinner} downloading [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
                bytes,
            );
        } else {
            self.stage(
                "{spinner} downloading [{bar:30}] {pos}/{len} files {msg}",
                files as u64,
            );
        }
    }

    fn download_done(&self, filename: &str, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_message(filename.to_string());
            bar.inc(if self.by_bytes.load(Ordering::Relaxed) {
                bytes
            } else {
                1
            });
        }
    }
}

/// A bar of bytes for one transfer (a database download, a push, a pull),
/// drawn on the same terms as `StageProgress`.
pub struct ByteProgress {
    bar: Option<ProgressBar>,
}

impl ByteProgress {
    pub fn new(enabled: bool, label: &str) -> Self {
        let bar = enabled.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{{spinner}} {label:<11} [{{bar:30}}] {{bytes}}/{{total_bytes}} {{bytes_per_sec}} {{msg}}"
                ))
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        });
        Self { bar }
    }

    /// `done` bytes of `total` (when known) for `what`.
    pub fn update(&self, what: &str, done: u64, total: Option<u64>) {
        if let Some(bar) = &self.bar {
            if let Some(total) = total {
                bar.set_length(total);
            }
            bar.set_position(done);
            bar.set_message(what.to_string());
        }
    }
}

impl Drop for ByteProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
