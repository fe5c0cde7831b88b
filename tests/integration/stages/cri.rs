//! `cri`: see docs/stages/cri.md.
