//! `--positions FILE`: checked and loaded before anything is read.
//!
//! Standard input has no position (it cannot be read again): `--positions` with only standard
//! input is a usage error, and with files and `-` a warning says that `-` is read whole each
//! run. A positions file that cannot be read or is not one is an error, never a silent start
//! over; it is written once before the run starts, so a path that cannot be written is refused
//! before anything is read (exit 2).

use sluice_host::{Input, Positions};

use crate::args::Args;

/// The positions to keep for `inputs`, or the one-line message that refuses them.
pub fn load(args: &Args, inputs: &[Input]) -> Result<Option<Positions>, String> {
    let Some(path) = &args.positions else {
        return Ok(None);
    };
    if inputs.iter().all(|input| *input == Input::Stdin) {
        return Err(
            "--positions needs file paths: standard input has no position to resume \
                    from (it is read whole by every run)"
                .to_owned(),
        );
    }
    if inputs.contains(&Input::Stdin) {
        crate::colour::warn("standard input has no position; --positions keeps the files' only");
    }
    let mut positions =
        Positions::load(path.clone(), args.positions_interval).map_err(|err| err.to_string())?;
    positions.write().map_err(|err| err.to_string())?;
    Ok(Some(positions))
}
