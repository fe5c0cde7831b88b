//! `liar`: a plugin whose every call fails and whose `last-error` answers with more than the
//! host asked for, for the host's tests. Not a built-in.
//!
//! Written against the WIT with wit-bindgen directly: the SDK cuts a message to what is asked,
//! as the contract says, and a hostile plugin need not. With `{"by": "a byte"}` the message is
//! one byte too long (within what the host lets the call copy); otherwise it is 64 times what
//! was asked, more than the host lets the call copy out at all. Either way the host must say
//! that the message could not be read, and copy no more than its limit.

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "plugin",
    });

    use exports::sluice::plugin::transform::{Guest, GuestStage, Stage};
    use sluice::plugin::types::{
        Batch, Emitted, Error, Failed, Grants, Info, Output, Reach, State,
    };
    use std::cell::Cell;

    thread_local! {
        /// Whether the message is one byte too long rather than 64 times too long.
        static BY_A_BYTE: Cell<bool> = const { Cell::new(false) };
    }

    struct Liar;

    impl Guest for Liar {
        type Stage = LiarStage;

        fn describe() -> Info {
            Info {
                name: "liar".to_owned(),
                version: "0.1.0".to_owned(),
                summary: "Fails, and answers last-error with more than asked".to_owned(),
                config_keys: Vec::new(),
                boundary_safe: false,
                state: State::None,
            }
        }

        fn last_error(max_bytes: u32) -> Error {
            let len = if BY_A_BYTE.get() {
                max_bytes as usize + 1
            } else {
                max_bytes as usize * 64
            };
            Error {
                key: None,
                message: "x".repeat(len),
            }
        }
    }

    struct LiarStage;

    const FAILED: Failed = Failed { message_bytes: 1 };

    impl GuestStage for LiarStage {
        fn create(config: String, _grants: Grants) -> Result<Stage, Failed> {
            BY_A_BYTE.set(config.contains("a byte"));
            Ok(Stage::new(LiarStage))
        }

        fn process(&self, _batch: Batch) -> Result<Output, Failed> {
            Err(FAILED)
        }

        fn tick(&self) -> Result<Emitted, Failed> {
            Err(FAILED)
        }

        fn finish(&self) -> Result<Emitted, Failed> {
            Err(FAILED)
        }

        fn reach(&self) -> Reach {
            Reach {
                state: State::None,
                tallies: false,
                carries: false,
            }
        }

        fn tally(&self) -> Vec<u8> {
            Vec::new()
        }

        fn absorb(&self, _tally: Vec<u8>) -> Result<(), Failed> {
            Err(FAILED)
        }

        fn carry(&self) -> Vec<u8> {
            Vec::new()
        }

        fn resume(&self, _carried: Vec<u8>) -> Result<(), Failed> {
            Err(FAILED)
        }
    }

    export!(Liar);
}
