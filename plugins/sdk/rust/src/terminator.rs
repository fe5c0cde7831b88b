//! [`Terminator`]: how a line ended in the input, and [`State`]: how far a stage's state
//! reaches. Both mirror enums of the contract (`terminator` and `state` in `wit/plugin.wit`)
//! with names that read well in Rust.

use crate::bindings::sluice::plugin::types;

/// How a line ended in the input: the host keeps it apart from the line's bytes and writes it
/// back on output. A stage that holds a line and emits it later gives it back its own
/// ([`crate::Output::set_terminator`], [`crate::Trailing::set_terminator`]), so CRLF input
/// stays CRLF whatever the stage did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Terminator {
    /// `\n`.
    #[default]
    Lf,
    /// `\r\n`.
    CrLf,
    /// Nothing: the last line of an input that does not end in a newline, or a partial piece
    /// of an over-long line.
    None,
}

impl Terminator {
    /// The terminator's bytes.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Terminator::Lf => b"\n",
            Terminator::CrLf => b"\r\n",
            Terminator::None => b"",
        }
    }

    pub(crate) fn from_wit(terminator: types::Terminator) -> Terminator {
        match terminator {
            types::Terminator::Lf => Terminator::Lf,
            types::Terminator::Crlf => Terminator::CrLf,
            types::Terminator::None => Terminator::None,
        }
    }

    pub(crate) fn to_wit(self) -> types::Terminator {
        match self {
            Terminator::Lf => types::Terminator::Lf,
            Terminator::CrLf => types::Terminator::Crlf,
            Terminator::None => types::Terminator::None,
        }
    }
}

/// How far what a stage keeps between lines reaches ([`crate::Plugin::STATE`]): it decides how
/// many instances of the stage the host makes and which lines each sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Nothing is kept: each line is handled on its own (a redactor, a parser). The host may
    /// give any batch to any instance of the stage.
    None,
    /// What is kept belongs to one source (a multiline block, grep's context, the last lines
    /// of a file): the host makes one instance per source (each input file, or standard
    /// input), which sees that source's lines in order and is finished when the source ends.
    /// A plugin written for one stream is then right for several files, unchanged.
    PerSource,
    /// One instance sees every line of every source, in order (a count, a rate limit, an
    /// aggregate over all files).
    WholeStream,
}

impl State {
    pub(crate) fn to_wit(self) -> types::State {
        match self {
            State::None => types::State::None,
            State::PerSource => types::State::PerSource,
            State::WholeStream => types::State::WholeStream,
        }
    }
}
