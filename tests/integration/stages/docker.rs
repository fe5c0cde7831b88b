//! `docker`: see docs/stages/docker.md.
