//! What the probe asks of the host's regular expressions (`sluice:plugin/matching`) when told
//! to abuse them: a compile bomb (one expression compiled again and again, every pattern
//! kept), and `first` calls that lie about their lines or ask for answers too big. It records
//! what the host answered, for `finish` to report.

use sluice_plugin_sdk::bindings::sluice::plugin::matching::Pattern;

/// At most this many compiles in a bomb.
const BOMB: usize = 1000;

/// Compiles `expression` up to [`BOMB`] times, keeping every pattern, and says how many the
/// host compiled and why it refused the first it refused.
pub(crate) fn compile_bomb(expression: &str) -> String {
    let mut kept = Vec::new();
    let mut refused = 0;
    let mut why = String::new();
    for _ in 0..BOMB {
        match Pattern::compile(expression) {
            Ok(pattern) => kept.push(pattern),
            Err(err) => {
                refused += 1;
                if why.is_empty() {
                    why = err;
                }
            }
        }
    }
    let compiled = kept.len();
    // Dropped here: the host gives their memory back, so one more fits again.
    drop(kept);
    let again = Pattern::compile(expression).is_ok();
    format!("compiled {compiled}, refused {refused} ({why}); after dropping them: {again}\n")
}

/// Lies to `first` about the text in hand, then asks honestly; the lengths of the answers.
pub(crate) fn lies(text: &[u8], lines: usize) -> String {
    let pattern = Pattern::compile("a|b").expect("a valid expression");
    let len = text.len() as u32;
    let decreasing = pattern.first(text, &[len, 0], 1).len();
    let past_the_text = pattern.first(text, &[len + 1], 1).len();
    let too_many_lines = pattern.first(text, &vec![len; 65_537], 1).len();
    let too_many_groups = pattern.first(text, &[len], u32::MAX).len();
    let honest = pattern.first(text, &vec![len; lines], 3).len();
    format!(
        "decreasing {decreasing}, past the text {past_the_text}, too many lines \
         {too_many_lines}, too many groups {too_many_groups}, honest {honest}\n"
    )
}
