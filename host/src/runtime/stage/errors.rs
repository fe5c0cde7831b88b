//! What a failed call into a stage's plugin said: [`Stage::answer`] turns a call's result into
//! the answer or a [`Failure`], and [`Stage::last_error`] asks the plugin what went wrong.
//!
//! Contract 0.4.0: a call that fails returns only the length of its message; the host then
//! calls `last-error` for as much of it as a diagnostic shows
//! ([`MAX_PLUGIN_TEXT_BYTES`]), with wasmtime's hostcall fuel (what one call may copy out of
//! the guest) set just above that. So a plugin's error of any length costs the host a few KiB,
//! and one that answers with more than it was asked for is said to have done so instead.

use super::{Stage, bindings};
use crate::error::{Failure, Malformed};
use crate::plugin_text::{MAX_PLUGIN_TEXT_BYTES, plugin_message, plugin_text};

impl Stage {
    /// What a call into the plugin came to: its answer, the error it returned (its text made
    /// safe to show), or why the call failed (a trap, the deadline, the memory cap).
    pub(super) fn answer<T>(
        &mut self,
        result: wasmtime::Result<Result<T, bindings::Failed>>,
    ) -> Result<T, Failure> {
        match result {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(failed)) => Err(match self.last_error(failed) {
                Ok((_, message)) => Failure::Plugin(message),
                Err(failure) => failure,
            }),
            Err(err) => Err(self.limits.failure(&err, &mut self.store)),
        }
    }

    /// What went wrong in the call that returned `failed`: the key at fault (after `create`)
    /// and the message, made safe to show. Only as much as a diagnostic shows is asked for
    /// ([`MAX_PLUGIN_TEXT_BYTES`]), and the call may copy no more than that out of the guest,
    /// so a plugin's error of any length costs the host a few KiB; the bytes left out are
    /// counted from what `failed` says.
    pub(super) fn last_error(
        &mut self,
        failed: bindings::Failed,
    ) -> Result<(Option<String>, String), Failure> {
        self.arm();
        let fuel = self.store.hostcall_fuel();
        self.store.set_hostcall_fuel(LAST_ERROR_FUEL);
        let result = self
            .instance
            .sluice_plugin_transform()
            .call_last_error(&mut self.store, MAX_PLUGIN_TEXT_BYTES as u32);
        self.store.set_hostcall_fuel(fuel);
        let too_long = Failure::Malformed(Malformed::LongError {
            max_bytes: MAX_PLUGIN_TEXT_BYTES,
        });
        match result {
            Ok(error)
                if error.message.len() > MAX_PLUGIN_TEXT_BYTES
                    || error
                        .key
                        .as_ref()
                        .is_some_and(|key| key.len() > MAX_PLUGIN_TEXT_BYTES) =>
            {
                Err(too_long)
            }
            Ok(error) => Ok((
                error.key.as_deref().map(plugin_text),
                plugin_message(&error.message, failed.message_bytes),
            )),
            Err(err) if is_fuel_out(&err) => Err(too_long),
            Err(err) => Err(self.limits.failure(&err, &mut self.store)),
        }
    }
}

/// What the call to `last-error` may copy out of the guest: its two strings at the length asked
/// for, and the record around them.
const LAST_ERROR_FUEL: usize = 2 * MAX_PLUGIN_TEXT_BYTES + 1024;

/// Whether `err` is wasmtime refusing to copy more out of the guest than the hostcall fuel.
pub(super) fn is_fuel_out(err: &wasmtime::Error) -> bool {
    err.chain()
        .any(|cause| cause.to_string().contains("fuel allocated for hostcalls"))
}
