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

/// How far a configured stage's state reaches and what it can hand to another instance
/// ([`crate::Plugin::reach`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reach {
    /// How far the state reaches with this configuration: [`crate::Plugin::STATE`] or less.
    pub state: State,
    /// True when [`crate::Plugin::tally`] and [`crate::Plugin::absorb`] merge what several
    /// instances counted for one report: the host may then run a [`State::None`] stage with
    /// a report on several threads.
    pub tallies: bool,
    /// True when [`crate::Plugin::carry`] and [`crate::Plugin::resume`] hand what the stage
    /// keeps between lines to another instance: the host may then run it on several threads,
    /// running a batch again when it guessed wrong what the previous batch left (the empty
    /// carry). Worth it when what is carried is usually empty.
    pub carries: bool,
}

impl Reach {
    /// `state`, with nothing handed over.
    pub const fn of(state: State) -> Reach {
        Reach {
            state,
            tallies: false,
            carries: false,
        }
    }

    /// This reach, with [`Reach::tallies`] set.
    pub const fn tallying(self) -> Reach {
        Reach {
            tallies: true,
            ..self
        }
    }

    /// This reach, with [`Reach::carries`] set.
    pub const fn carrying(self) -> Reach {
        Reach {
            carries: true,
            ..self
        }
    }

    pub(crate) fn to_wit(self) -> types::Reach {
        types::Reach {
            state: self.state.to_wit(),
            tallies: self.tallies,
            carries: self.carries,
        }
    }
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
