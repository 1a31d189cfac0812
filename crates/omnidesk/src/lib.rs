//! The `omnidesk` binary's library half: what the command line runs that
//! is more than a call into `server` — today the offline demo
//! ([`demo`]), which wires the server to the Facebook emulator.
//!
//! The server library must not depend on the emulator, so the wiring lives
//! here, in the one crate that depends on both.
#![forbid(unsafe_code)]

pub mod demo;
