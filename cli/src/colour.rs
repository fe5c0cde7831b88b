//! Colour: on a terminal only, as `--color` and `NO_COLOR` say.
//!
//! The choice is global ([`colorchoice`]), read by [`anstream`], which writes clap's help and
//! errors and sluice's own diagnostics: styled text goes to a terminal as it is and loses its
//! styles anywhere else. `--color auto` (the default) colours when stderr (stdout, for help)
//! is a terminal and `NO_COLOR` is unset or empty (<https://no-color.org>); `always` and
//! `never` override both. The choice is made from the raw arguments before clap parses them,
//! so that clap's own help and errors follow it too.

use std::ffi::OsString;

use anstyle::{AnsiColor, Style};
use clap::ValueEnum;
use clap::builder::Styles;
use colorchoice::ColorChoice;

/// When to colour output meant for people.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum When {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always, even when piped.
    Always,
    /// Never.
    Never,
}

/// The `sluice:` of an error: the host's, so that its messages and the CLI's look alike.
pub const ERROR: Style = sluice_host::say::ERROR;

/// The `sluice: warning:` of a warning.
pub const WARNING: Style = sluice_host::say::WARNING;

/// The styles of `--help`: headings and option names stand out, as in cargo's.
pub fn help_styles() -> Styles {
    Styles::styled()
        .header(AnsiColor::Green.on_default().bold())
        .usage(AnsiColor::Green.on_default().bold())
        .literal(AnsiColor::Cyan.on_default().bold())
        .placeholder(AnsiColor::Cyan.on_default())
        .error(ERROR)
        .valid(AnsiColor::Cyan.on_default().bold())
        .invalid(WARNING)
}

/// Sets the global choice from `--color` in `args` (the last one given; an invalid value is
/// left for clap to refuse, in the default colours).
pub fn choose(args: &[OsString]) {
    let mut when = When::Auto;
    let mut args = args.iter().skip(1).map(|arg| arg.to_str());
    while let Some(arg) = args.next() {
        let value = match arg {
            Some("--") => break,
            Some("--color") => args.next().flatten(),
            Some(arg) => arg.strip_prefix("--color="),
            None => None,
        };
        if let Some(parsed) = value.and_then(|v| When::from_str(v, false).ok()) {
            when = parsed;
        }
    }
    let choice = match when {
        When::Auto => ColorChoice::Auto,
        When::Always => ColorChoice::Always,
        When::Never => ColorChoice::Never,
    };
    choice.write_global();
}

/// Whether what is written to stderr is coloured (a terminal, and neither `--color never` nor
/// NO_COLOR).
pub fn on_stderr() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != ColorChoice::Never
}

/// Prints `sluice: warning: ` and `message` on stderr.
pub fn warn(message: impl std::fmt::Display) {
    anstream::eprintln!("{WARNING}sluice: warning:{WARNING:#} {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(args: &[&str]) -> ColorChoice {
        let args: Vec<OsString> = std::iter::once("sluice")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        choose(&args);
        ColorChoice::global()
    }

    #[test]
    fn the_last_color_option_wins_and_operands_are_not_options() {
        assert_eq!(chosen(&[]), ColorChoice::Auto);
        assert_eq!(chosen(&["--color", "always"]), ColorChoice::Always);
        assert_eq!(chosen(&["--color=never", "x.log"]), ColorChoice::Never);
        assert_eq!(
            chosen(&["--color=never", "--color", "always"]),
            ColorChoice::Always
        );
        assert_eq!(chosen(&["--", "--color=always"]), ColorChoice::Auto);
        assert_eq!(chosen(&["--color", "sometimes"]), ColorChoice::Auto);
    }
}
